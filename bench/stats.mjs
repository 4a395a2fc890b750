/**
 * The numeric helpers of every benchmark: medians, percentiles, geometric means, and a wall clock
 * that processes on one machine share.
 *
 * ```js
 * median([3, 1, 2]);              // 2
 * percentiles(latencies).p99;     // ms
 * geometricMean([0.5, 2]);        // 1
 * ```
 */

/**
 * The median (the mean of the middle two for an even count); NaN for none.
 * @param {readonly number[]} values
 */
export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `{ n, p50, p99, max }` of a list of numbers (each the value at that rank, not interpolated).
 * @param {Iterable<number>} values
 */
export function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  /** @param {number} p */
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

/**
 * The geometric mean of ratios.
 * @param {readonly number[]} ratios
 */
export function geometricMean(ratios) {
  return Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
}

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();
