/**
 * What the pieces cost on their own, in one process: an fsync on the primary's disk, capture on a
 * commit, an apply on a replica.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE } from '../bundle-path.mjs';
import { median, percentiles } from '../../stats.mjs';

const { Replica, open, WalCapture, TransactionLog, defaultVfs, loadEngine } = await import(BUNDLE);

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
      capture = new WalCapture({
        dbId: '00112233445566778899aabbccddeeff',
        epoch: 1n,
        sink: (record) => log?.append(record),
      });
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
 * What one `Replica.apply` costs (a follower that keeps up applies records one per commit, so this bounds the
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
