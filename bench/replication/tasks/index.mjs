/**
 * The measurements of the replication benchmark, each run by worker.mjs in a process of its own
 * against a primary in another (primary.mjs). Times that cross processes are wall-clock
 * milliseconds, `performance.timeOrigin + performance.now()`: one machine, one clock.
 *
 * Every task takes its parameters and `io` (`io.ready(value)` tells the suite it is set up,
 * `io.stopped` resolves with the suite's stop message, `io.onMessage`/`io.send` carry the rest)
 * and returns a plain result.
 */
export { follow, write } from './lag.mjs';
export { readYourWrites, reads } from './clients.mjs';
export { fsyncCost, captureCost, applyCost } from './costs.mjs';
export { streamBytes } from './stream-bytes.mjs';
export { buildBig, bootstrap } from './snapshot.mjs';
