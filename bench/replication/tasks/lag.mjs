/**
 * The lag and throughput measurements: a follower that stamps when each write becomes visible
 * on a replica, and writers (closed and open loop) that stamp when each is acknowledged.
 */
import { BUNDLE } from '../bundle-path.mjs';
import { now, percentiles } from '../../stats.mjs';
import { VALUE } from '../workload.mjs';

const { HttpPrimaryFeed, HttpTransport, ReplicaFollower, Position, open } = await import(BUNDLE);

const INSERT_LAG = 'INSERT INTO lag (v) VALUES (?)';

/**
 * A replica that follows the primary (ReplicaFollower; `sync` as its option, default durable) with a
 * reader connection of its own on the file; each time the follower's position moves, the reader
 * reads `max(id)` of `lag`, and every id up to it is stamped visible now. Answers `{ progress }`
 * with `{ lastId }` (the last id visible). Runs until stopped with `{ untilId }` (then waits, up to
 * 20 s, for that id); returns `visible` (index: id, value: ms).
 */
export async function follow({ url, path: file, sync = true }, io) {
  const follower = ReplicaFollower.start({
    path: file,
    feed: new HttpPrimaryFeed({ syncUrl: url }),
    sync,
    log: () => {},
  });
  await follower.ready();
  const reader = await open(file);
  const maxId = reader.prepare('SELECT max(id) FROM lag').pluck();
  let visible = new Float64Array(1 << 16);
  let lastId = Number(maxId.get() ?? 0);
  let stop;
  io.onMessage((message) => {
    if (message.progress) io.send({ lastId });
  });
  io.stopped.then((message) => (stop = { untilId: message.untilId ?? 0, deadline: performance.now() + 20_000 }));
  io.ready({ position: follower.position().toString(), lastId });
  let txid = follower.position().txid;
  for (;;) {
    if (stop !== undefined && (lastId >= stop.untilId || performance.now() > stop.deadline)) break;
    try {
      await follower.waitFor(new Position(txid, 0n), 200);
    } catch {
      continue;
    }
    const t = now();
    txid = follower.position().txid;
    const max = Number(maxId.get() ?? 0);
    if (max >= visible.length) {
      const grown = new Float64Array(Math.max(max + 1, visible.length * 2));
      grown.set(visible);
      visible = grown;
    }
    for (let id = lastId + 1; id <= max; id++) visible[id] = t;
    lastId = Math.max(lastId, max);
  }
  reader.close();
  await follower.close();
  return { visible: visible.subarray(0, lastId + 1), lastId, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
}

/**
 * Inserts one row a transaction into `lag` through `HttpTransport` (the primary's HTTP API, as a
 * replica client forwards a write). `mode: 'closed'`: `clients` concurrent loops, each awaiting its
 * write before the next, for `seconds`. `mode: 'open'`: writes due at `rate` a second on a fixed
 * schedule (`t0 + i / rate`, never drifting), taken in order by `clients` loops (a write due while
 * every loop is busy waits; its latency counts from when it was due), so that at most `clients`
 * requests (connections) are in flight. Half a second of the same writes first warms both sides
 * up. Returns per write [id, acknowledged ms, due or sent ms].
 */
export async function write({ url, mode, rate, clients = 1, seconds }) {
  const transports = Array.from({ length: clients }, () => new HttpTransport({ syncUrl: url }));
  let errors = 0;
  let firstError;
  const acks = [];
  const insert = async (transport, keep, sent = now()) => {
    try {
      const { result } = await transport.execute({ sql: INSERT_LAG, args: [VALUE] });
      if (keep) acks.push(Number(result.lastInsertRowid), now(), sent);
    } catch (error) {
      errors++;
      firstError ??= String(error?.message ?? error);
    }
  };
  const closedLoop = async (ms, keep) => {
    const end = performance.now() + ms;
    let count = 0;
    await Promise.all(
      transports.map(async (t) => {
        while (performance.now() < end) {
          await insert(t, keep);
          count++;
        }
      }),
    );
    return count;
  };
  // `clients` loops take the due writes in order; a write due while all are busy waits in the
  // queue, and its latency counts from when it was due.
  const openLoop = async (ms, keep) => {
    const started = performance.now();
    const interval = 1000 / rate;
    const total = Math.round((rate * ms) / 1000);
    const due = [];
    let wake;
    let scheduled = 0;
    const tick = () => {
      const until = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
      while (scheduled < until) due.push(performance.timeOrigin + started + scheduled++ * interval);
      wake?.();
      if (scheduled < total) setTimeout(tick, 1);
    };
    tick();
    await Promise.all(
      transports.map(async (t) => {
        for (;;) {
          if (due.length === 0) {
            if (scheduled >= total) return;
            await new Promise((/** @type {(value?: unknown) => void} */ resolve) => {
              const previous = wake;
              wake = () => {
                wake = undefined;
                previous?.();
                resolve();
              };
            });
            continue;
          }
          await insert(t, keep, due.shift());
        }
      }),
    );
    return total;
  };
  const run = mode === 'closed' ? closedLoop : openLoop;
  // The warm-up runs at the measured pace: a faster one would leave the replica a backlog.
  await run(500, false);
  const started = performance.now();
  const sent = await run(seconds * 1000, true);
  const elapsed = performance.now() - started;
  const latency = [];
  for (let i = 0; i < acks.length; i += 3) latency.push(acks[i + 1] - acks[i + 2]);
  for (const t of transports) t.close();
  return {
    acks: Float64Array.from(acks),
    sent,
    completed: acks.length / 3,
    errors,
    firstError,
    elapsedMs: elapsed,
    txPerSecond: acks.length / 3 / (elapsed / 1000),
    latency: percentiles(latency),
  };
}
