/** Turns the writers' acknowledgements and the follower's visibility stamps into lag figures. */
import { percentiles } from '../stats.mjs';

/** The highest id a write run had acknowledged. */
export function lastIdOf(result) {
  let last = 0;
  for (let i = 0; i < result.acks.length; i += 3) last = Math.max(last, result.acks[i]);
  return last;
}

/**
 * Commit-to-visible lag of one write run: for each acknowledged id, the time the follower's reader
 * first saw it minus the time the writer had its acknowledgement (negative, i.e. visible on the
 * replica before the HTTP answer reached the writer, counts as 0), overall and by thirds of the run.
 */
export function lagOf(run, visible) {
  const rows = [];
  let missing = 0;
  let early = 0;
  for (let i = 0; i < run.acks.length; i += 3) {
    const id = run.acks[i];
    const seen = visible[id];
    if (!seen) {
      missing++;
      continue;
    }
    const lag = seen - run.acks[i + 1];
    if (lag < 0) early++;
    rows.push([run.acks[i + 1], Math.max(0, lag)]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  const seen = [];
  for (let i = 0; i < run.acks.length; i += 3) if (visible[run.acks[i]]) seen.push(visible[run.acks[i]]);
  const span =
    (seen.reduce((a, b) => Math.max(a, b), -Infinity) - seen.reduce((a, b) => Math.min(a, b), Infinity)) / 1000;
  const third = Math.floor(rows.length / 3);
  return {
    ...percentiles(rows.map((r) => r[1])),
    first: percentiles(rows.slice(0, third).map((r) => r[1])),
    last: percentiles(rows.slice(rows.length - third).map((r) => r[1])),
    missing,
    early,
    applyRate: span > 0 ? seen.length / span : NaN,
  };
}

/** Whether the lag did not grow over a run: the last third's median within 50% (or 0.5 ms) of the first's. */
export function noGrowth(lag) {
  return lag.last.p50 <= lag.first.p50 + Math.max(0.5, lag.first.p50 * 0.5);
}
