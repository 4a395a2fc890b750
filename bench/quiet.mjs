/**
 * Waits for the machine to be idle before a measurement. Other work on the box (a test suite in
 * another terminal) steals cores and disk and would show up as a slower driver; on a 2-core
 * machine one busy process is half of it, and one fsync loop doubles the cost of ours.
 *
 * ```js
 * const { cpu, disk, waitedMs } = await waitForQuiet(30_000); // the shares busy when we went ahead
 * ```
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Above these shares of all cores or of the busiest disk's time the machine is not quiet. The
 * disk's is low because a loop of small synced writes (another test suite's) keeps a virtual
 * disk only ~13% busy yet doubles the latency of our fsyncs.
 */
const CPU_BUSY = 0.15;
const DISK_BUSY = 0.05;

/** Cumulative idle and total CPU ticks, and the busiest disk's milliseconds doing I/O. */
function counters() {
  const cpu = fs.readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const disks = fs
    .readFileSync('/proc/diskstats', 'latin1')
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
  const io = disks.filter((f) => !/^(loop|ram|zram)/.test(f[2])).map((f) => Number(f[12]));
  return { idle: cpu[3] + cpu[4], total: cpu.reduce((a, b) => a + b, 0), io, at: performance.now() };
}

/** How busy the CPUs and the busiest disk were (0…1) during the next `ms` (0 without /proc). */
export async function machineLoad(ms = 200) {
  if (!fs.existsSync('/proc/diskstats')) return { cpu: 0, disk: 0 };
  const a = counters();
  await sleep(ms);
  const b = counters();
  const ticks = b.total - a.total;
  const disk = Math.max(0, ...b.io.map((v, i) => (v - (a.io[i] ?? v)) / (b.at - a.at)));
  return { cpu: ticks > 0 ? 1 - (b.idle - a.idle) / ticks : 0, disk };
}

/** Samples until the machine is quiet or `maxWaitMs` has passed; returns the last sample. */
export async function waitForQuiet(maxWaitMs) {
  const started = performance.now();
  const busy = (load) => load.cpu > CPU_BUSY || load.disk > DISK_BUSY;
  let load = await machineLoad();
  while (busy(load) && performance.now() - started < maxWaitMs) load = await machineLoad(1000);
  return { ...load, busy: busy(load), waitedMs: performance.now() - started };
}
