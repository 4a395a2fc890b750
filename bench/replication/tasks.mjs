/**
 * The measurements of the replication benchmark, each run by worker.mjs in a process of its own
 * against a primary in another (primary.mjs). Times that cross processes are wall-clock
 * milliseconds, `performance.timeOrigin + performance.now()`: one machine, one clock.
 *
 * Every task takes its parameters and `io` (`io.ready(value)` tells the suite it is set up,
 * `io.stopped` resolves with the suite's stop message) and returns a plain result.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BUNDLE } from './bundle-path.mjs';

const { HttpTransport, Replica, ReplicaFollower, Position, TxRecord, createClient, open, WalCapture, TransactionLog, defaultVfs, loadEngine } = await import(BUNDLE);

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();
/** The row every write inserts: 100 characters. */
const VALUE = 'x'.repeat(100);
const INSERT_LAG = 'INSERT INTO lag (v) VALUES (?)';

/** Rows 1..? of `reads`, identical on the primary and in the plain local database. */
export const FILL_READS = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) INSERT INTO reads (id, v) SELECT i, printf('value %08d', i) FROM c";

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

/**
 * A replica that follows the primary (ReplicaFollower, default options: durable applies) with a
 * reader connection of its own on the file; each time the follower's position moves, the reader
 * reads `max(id)` of `lag`, and every id up to it is stamped visible now. Answers `{ progress }`
 * with `{ lastId }` (the last id visible). Runs until stopped with `{ untilId }` (then waits, up to
 * 20 s, for that id); returns `visible` (index: id, value: ms).
 */
export async function follow({ url, path: file }, io) {
  const follower = ReplicaFollower.start({ path: file, syncUrl: url, log: () => {} });
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
 * requests (connections) are in flight. Half a second of closed-loop writes first warms both sides
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
    await Promise.all(transports.map(async (t) => {
      while (performance.now() < end) {
        await insert(t, keep);
        count++;
      }
    }));
    return count;
  };
  await closedLoop(500, false);

  const started = performance.now();
  let sent = 0;
  let peakInflight = 0;
  if (mode === 'closed') {
    sent = await closedLoop(seconds * 1000, true);
  } else {
    // `clients` loops take the due writes in order; a write due while all are busy waits in the
    // queue, and its latency counts from when it was due.
    const interval = 1000 / rate;
    const total = Math.round(rate * seconds);
    const due = [];
    let wake;
    let scheduled = 0;
    const tick = () => {
      const now = performance.now();
      const until = Math.min(total, Math.floor((now - started) / interval) + 1);
      while (scheduled < until) due.push(performance.timeOrigin + started + scheduled++ * interval);
      peakInflight = Math.max(peakInflight, due.length);
      wake?.();
      if (scheduled < total) setTimeout(tick, 1);
    };
    tick();
    await Promise.all(transports.map(async (t) => {
      for (;;) {
        if (due.length === 0) {
          if (scheduled >= total) return;
          await new Promise((resolve) => {
            const previous = wake;
            wake = () => {
              wake = undefined;
              previous?.();
              resolve();
            };
          });
          continue;
        }
        const at = due.shift();
        sent++;
        await insert(t, true, at);
      }
    }));
  }
  const elapsed = performance.now() - started;
  const latency = [];
  for (let i = 0; i < acks.length; i += 3) latency.push(acks[i + 1] - acks[i + 2]);
  for (const t of transports) t.close();
  return {
    acks: Float64Array.from(acks), sent, completed: acks.length / 3, errors, firstError, peakQueue: peakInflight,
    elapsedMs: elapsed, txPerSecond: (acks.length / 3) / (elapsed / 1000), latency: percentiles(latency),
  };
}

/**
 * A replica client (`createClient({ url: 'file:…', syncUrl })`) doing `INSERT` (forwarded to the
 * primary) then `SELECT` of that row (local, after waiting for the insert to be applied: read-your-
 * writes), `n` times after 100 untimed. Returns the write, read and total latencies.
 */
export async function readYourWrites({ url, path: file, n }) {
  const client = createClient({ url: `file:${file}`, syncUrl: url });
  await client.sync();
  const write = [];
  const read = [];
  const total = [];
  let wrong = 0;
  for (let i = -100; i < n; i++) {
    const t0 = performance.now();
    const w = await client.execute({ sql: 'INSERT INTO ryw (v) VALUES (?)', args: [VALUE] });
    const t1 = performance.now();
    const r = await client.execute({ sql: 'SELECT v FROM ryw WHERE id = ?', args: [w.lastInsertRowid] });
    const t2 = performance.now();
    if (r.rows.length !== 1 || r.rows[0].v !== VALUE) wrong++;
    if (i < 0) continue;
    write.push(t1 - t0);
    read.push(t2 - t1);
    total.push(t2 - t0);
  }
  client.close();
  return { write: percentiles(write), read: percentiles(read), total: percentiles(total), wrong };
}

/** `n` fsyncs of a 100-byte write to a file in `dir` (the primary's directory): what one costs. */
export async function fsyncCost({ dir, n }) {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const bytes = Buffer.alloc(100, 1);
  const times = [];
  try {
    for (let i = -20; i < n; i++) {
      const t0 = performance.now();
      fs.writeSync(fd, bytes, 0, bytes.length, (i & 63) * 100 + 2000);
      fs.fsyncSync(fd);
      if (i >= 0) times.push(performance.now() - t0);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return percentiles(times);
}

/**
 * Point selects `SELECT v FROM reads WHERE id = ?`, `ops` awaited one after the other, on a
 * replica client and on a plain local client of the same rows (and, for scale, a synchronous
 * prepared `Database` statement), in alternating rounds after a warm-up pass. Medians of the rounds.
 */
export async function reads({ url, replicaPath, localPath, rows, ops, rounds }) {
  const local = createClient({ url: `file:${localPath}` });
  await local.execute('CREATE TABLE reads (id INTEGER PRIMARY KEY, v TEXT)');
  await local.execute({ sql: FILL_READS, args: [rows] });
  const replica = createClient({ url: `file:${replicaPath}`, syncUrl: url });
  await replica.sync();
  const db = await open(localPath);
  const get = db.prepare('SELECT v FROM reads WHERE id = ?').pluck();
  const sql = 'SELECT v FROM reads WHERE id = ?';
  const id = (i) => 1 + ((i * 7919) % rows);
  const passes = {
    replica: async () => {
      let n = 0;
      for (let i = 0; i < ops; i++) n += (await replica.execute({ sql, args: [id(i)] })).rows[0].v.length;
      return n;
    },
    local: async () => {
      let n = 0;
      for (let i = 0; i < ops; i++) n += (await local.execute({ sql, args: [id(i)] })).rows[0].v.length;
      return n;
    },
    database: async () => {
      let n = 0;
      for (let i = 0; i < ops; i++) n += get.get(id(i)).length;
      return n;
    },
  };
  const times = { replica: [], local: [], database: [] };
  const checks = new Set();
  for (let round = -1; round < rounds; round++) {
    const order = round % 2 === 0 ? ['replica', 'local', 'database'] : ['local', 'replica', 'database'];
    for (const kind of order) {
      const t0 = performance.now();
      checks.add(await passes[kind]());
      if (round >= 0) times[kind].push(performance.now() - t0);
    }
  }
  db.close();
  local.close();
  replica.close();
  const perSecond = (kind) => ops / (median(times[kind]) / 1000);
  return { replica: perSecond('replica'), local: perSecond('local'), database: perSecond('database'), sameRows: checks.size === 1 };
}

/**
 * What capturing costs a commit, as test/replication/capture/capture-cost.ts measures it but as
 * four databases side by side: 1-page commits (`UPDATE` of a 3000-byte row, one row a page) with
 * no observer and with the primary's capture (WalCapture appending to a TransactionLog), at
 * `synchronous=OFF` with a log that does not fsync (the CPU cost alone; also with a sink that drops
 * the record: checksums and record without the log) and at `synchronous=FULL` with a log that
 * fsyncs every append (what a commit on the primary is). Rounds interleave the variants; µs a
 * commit, medians.
 */
export async function captureCost({ dir, commits, durableCommits, rounds }) {
  const vfs = defaultVfs(await loadEngine());
  const template = path.join(dir, 'capture-template.db');
  const setup = await open(template, { journalMode: 'wal' });
  setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  const fill = setup.prepare('INSERT INTO t (v) VALUES (?)');
  setup.transaction(() => {
    for (let i = 0; i < 300; i++) fill.run(new Uint8Array(3000));
  })();
  setup.close();
  const variants = [
    { name: 'plain', sync: 'OFF', capture: false },
    { name: 'record', sync: 'OFF', capture: true, drop: true },
    { name: 'capture', sync: 'OFF', capture: true },
    { name: 'plain', sync: 'FULL', capture: false },
    { name: 'capture', sync: 'FULL', capture: true },
  ];
  const runs = [];
  for (const [i, variant] of variants.entries()) {
    const file = path.join(dir, `capture-${i}.db`);
    fs.copyFileSync(template, file);
    let log;
    let stop;
    let capture;
    if (variant.capture) {
      if (!variant.drop) log = TransactionLog.open(`${file}-log`, { fsync: variant.sync === 'FULL' });
      capture = new WalCapture({ dbId: '00112233445566778899aabbccddeeff', epoch: 1n, sink: (record) => log?.append(record) });
      stop = vfs.observe(file, capture);
    }
    const db = await open(file, { journalMode: 'wal' });
    db.pragma(`synchronous = ${variant.sync}`);
    capture?.start(db);
    runs.push({ ...variant, db, log, stop, update: db.prepare('UPDATE t SET v = ? WHERE id = ?'), times: [] });
  }
  // Every commit writes a value its row has never had: SQLite skips a page whose bytes an UPDATE
  // leaves as they were, and such a commit writes nothing.
  const value = new Uint8Array(3000);
  const stamp = new DataView(value.buffer);
  let serial = 0;
  for (let round = -1; round < rounds; round++) {
    for (const run of runs) {
      const n = run.sync === 'FULL' ? durableCommits : commits;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        stamp.setUint32(0, ++serial);
        run.update.run(value, 1 + (i % 300));
      }
      if (round >= 0) run.times.push(((performance.now() - t0) * 1000) / n);
    }
  }
  for (const run of runs) {
    run.db.close();
    run.stop?.();
    run.log?.close();
  }
  return Object.fromEntries(runs.map((r) => [`${r.name} ${r.sync}`, median(r.times)]));
}

/**
 * Bytes a replica receives for a mix of transactions: reads `GET /v1/log?from=` twice, once on a
 * raw TCP socket counting every byte that arrives (HTTP headers and chunk framing included) and
 * once with fetch decoding every frame (`TxRecord.decode`: pages × page size). The writes: `small`
 * inserts of a 100-character row, `small / 2` rewrites of a 3000-byte blob (one row a page) and
 * `small / 20` transactions rewriting 20 such rows.
 */
export async function streamBytes({ url, small }) {
  const t = new HttpTransport({ syncUrl: url });
  const exec = (sql, args = []) => t.execute({ sql, args });
  await exec('CREATE TABLE IF NOT EXISTS bytes_rows (id INTEGER PRIMARY KEY, v TEXT)');
  await exec('CREATE TABLE IF NOT EXISTS bytes_pages (id INTEGER PRIMARY KEY, b BLOB)');
  await exec('WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400) INSERT INTO bytes_pages (id, b) SELECT i, randomblob(3000) FROM c');
  const status = await (await fetch(`${url}/status`)).json();
  const from = Position.parse(status.position).txid + 1n;
  const target = new URL(url);

  let wireBytes = 0;
  const socket = net.connect(Number(target.port), target.hostname);
  socket.on('data', (chunk) => (wireBytes += chunk.length));
  socket.on('error', () => {});
  socket.write(`GET /v1/log?from=${from} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);

  const controller = new AbortController();
  const response = await fetch(`${url}/v1/log?from=${from}`, { signal: controller.signal });
  let bodyBytes = 0;
  let records = 0;
  let pages = 0;
  let pageBytes = 0;
  let lastTxid = 0n;
  let buffered = new Uint8Array(0);
  let onRecord;
  const reading = (async () => {
    try {
      for await (const chunk of response.body) {
        bodyBytes += chunk.length;
        const joined = new Uint8Array(buffered.length + chunk.length);
        joined.set(buffered);
        joined.set(chunk, buffered.length);
        let at = 0;
        while (joined.length - at >= 4) {
          const length = new DataView(joined.buffer, joined.byteOffset + at).getUint32(0);
          if (joined.length - at - 4 < length) break;
          if (length > 0) {
            const record = TxRecord.decode(joined.subarray(at + 4, at + 4 + length));
            records++;
            pages += record.pages.length;
            pageBytes += record.pages.length * record.pageSize;
            lastTxid = record.txid;
          }
          at += 4 + length;
        }
        buffered = joined.slice(at);
        onRecord?.();
      }
    } catch {
      // aborted at the end
    }
  })();

  const blob = () => new Uint8Array(3000).map(() => (Math.random() * 256) | 0);
  let position;
  for (let i = 0; i < small; i++) position = (await exec('INSERT INTO bytes_rows (v) VALUES (?)', [VALUE])).position;
  for (let i = 0; i < small / 2; i++) position = (await exec('UPDATE bytes_pages SET b = ? WHERE id = ?', [blob(), 1 + (i % 400)])).position;
  for (let i = 0; i < small / 20; i++) {
    const stmts = Array.from({ length: 20 }, (_, k) => ({ sql: 'UPDATE bytes_pages SET b = ? WHERE id = ?', args: [blob(), 1 + ((i * 20 + k) % 400)] }));
    position = (await t.batch(stmts, 'write')).position;
  }
  const last = Position.parse(position).txid;
  const deadline = performance.now() + 20_000;
  while (lastTxid < last && performance.now() < deadline) await new Promise((resolve) => (onRecord = resolve));
  // The raw socket gets the same bytes plus the HTTP framing: wait until it stops growing.
  for (let seen = -1; seen !== wireBytes && performance.now() < deadline;) {
    seen = wireBytes;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  controller.abort();
  socket.destroy();
  await reading;
  t.close();
  return { wireBytes, bodyBytes, records, pages, pageBytes, complete: lastTxid >= last, transactions: Number(last - from + 1n) };
}

/**
 * What one `Replica.apply` costs (the follower applies records one at a time, so this bounds the
 * rate a replica keeps up with): `n` 1-page records captured from a primary-like database, applied
 * to a copy with a reader connection open on it (as applications have), with `sync` (the
 * default: position file fsynced, `synchronous=FULL`) and without. µs an apply, p50 and p99.
 */
export async function applyCost({ dir, n }) {
  const out = {};
  for (const sync of [true, false]) {
    const primaryPath = path.join(dir, `apply-${sync}-primary.db`);
    const replicaPath = path.join(dir, `apply-${sync}-replica.db`);
    const setup = await open(primaryPath, { journalMode: 'wal' });
    setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const fill = setup.prepare('INSERT INTO t VALUES (?, randomblob(3000))');
    setup.transaction(() => {
      for (let i = 1; i <= 200; i++) fill.run(i);
    })();
    setup.close();
    fs.copyFileSync(primaryPath, replicaPath);
    const records = [];
    const capture = new WalCapture({ dbId: '0'.repeat(32), epoch: 1n, sink: (record) => records.push(record) });
    const stop = defaultVfs(await loadEngine()).observe(primaryPath, capture);
    const db = await open(primaryPath, { journalMode: 'wal' });
    const start = capture.start(db);
    const update = db.prepare('UPDATE t SET v = randomblob(3000) WHERE id = ?');
    for (let i = 0; i < n + 20; i++) update.run(1 + (i % 200));
    db.close();
    stop();
    const replica = await Replica.open(replicaPath, { from: start, sync });
    const reader = await open(replicaPath);
    const count = reader.prepare('SELECT count(*) FROM t').pluck();
    const times = [];
    for (const [i, record] of records.entries()) {
      const t0 = performance.now();
      replica.apply(record);
      if (i >= 20) times.push((performance.now() - t0) * 1000);
      count.get();
    }
    reader.close();
    replica.close();
    out[sync ? 'sync' : 'nosync'] = percentiles(times);
  }
  return out;
}

/** Builds a database of `mib` MiB for the snapshot measurement: 1 MiB zero blobs, no journal, no fsync. */
export async function buildBig({ path: file, mib }) {
  const t0 = performance.now();
  const db = await open(file, { journalMode: 'off' });
  db.pragma('synchronous = OFF');
  db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)');
  db.prepare('WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) INSERT INTO big (id, b) SELECT i, zeroblob(1048576) FROM c').run(mib);
  db.close();
  return { ms: performance.now() - t0, bytes: fs.statSync(file).size };
}

/**
 * A new replica bootstrapping from the primary's snapshot: `ReplicaFollower.start` → `ready()`
 * (snapshot downloaded, written with fsync, every page checksummed by `Replica.open`) → a reader
 * connection's first query. Then, for the split, a bare download of the snapshot (fetch, bytes
 * counted and dropped).
 */
export async function bootstrap({ url, path: file, expectRows }) {
  const t0 = performance.now();
  const follower = ReplicaFollower.start({ path: file, syncUrl: url, log: () => {} });
  await follower.ready();
  const readyMs = performance.now() - t0;
  const reader = await open(file);
  const rows = reader.prepare('SELECT count(*) FROM big').pluck().get();
  const firstReadMs = performance.now() - t0;
  reader.close();
  await follower.close();
  const rssAfterBootstrapMiB = process.resourceUsage().maxRSS / 1024;
  const t1 = performance.now();
  const response = await fetch(`${url}/v1/snapshot`);
  let firstByteMs = performance.now() - t1;
  let bytes = 0;
  for await (const chunk of response.body) bytes += chunk.length;
  const downloadMs = performance.now() - t1;
  return { readyMs, firstReadMs, rows: Number(rows), rowsOk: Number(rows) === expectRows, rssAfterBootstrapMiB, firstByteMs, downloadMs, bytes, fileBytes: fs.statSync(file).size };
}
