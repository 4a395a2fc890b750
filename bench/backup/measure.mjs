/**
 * The backup benchmark's measurements, in a process of their own (started by
 * bench/suites/backup.mjs): `node bench/backup/measure.mjs <bundle url> <json options>` prints one
 * JSON line of results. See the suite for what is measured.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bigFixture } from '../fixtures.mjs';
import { percentiles } from '../stats.mjs';

const [bundleUrl, optionsJson] = process.argv.slice(2);
const { Archiver, ArchiveCatalog, openTarget, restore, startPrimary, Position } = await import(bundleUrl);
const options = JSON.parse(optionsJson);
const dir = fs.mkdtempSync(path.join(options.tmp ?? os.tmpdir(), 'wasmlite-backup-bench-'));
const quiet = () => {};
const progress = (message) => process.stderr.write(`backup bench: ${message}\n`);

async function execute(url, sql, args = []) {
  const response = await fetch(`${url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql, args }),
  });
  const body = /** @type {any} */ (await response.json());
  if (response.status !== 200) throw new Error(`HTTP ${response.status} ${body.error?.message}`);
  return Position.parse(body.position);
}

function treeBytes(root) {
  let total = 0;
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).size;
  return total;
}

/**
 * Writes at `rate` tx/s for `seconds` from another process (bench/backup/load.mjs), and how long
 * after its acknowledgement each write was archived.
 */
async function measureLag({ rate, seconds }) {
  const primary = await startPrimary({ path: path.join(dir, 'lag.db') });
  const archiver = Archiver.start({
    url: primary.url,
    target: path.join(dir, 'lag-archive'),
    maxLagMs: 1000,
    position: () => primary.position(),
    log: quiet,
  });
  await execute(primary.url, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  await archiver.waitFor(1n, 30_000);
  /** [Date.now(), archived txid] whenever the archived txid moved. */
  const archived = [];
  let last = 0n;
  const sampler = setInterval(() => {
    const txid = archiver.position?.txid ?? 0n;
    if (txid !== last) archived.push([Date.now(), Number((last = txid))]);
  }, 2);
  const load = spawn(
    process.execPath,
    [path.join(import.meta.dirname, 'load.mjs'), primary.url, String(rate), String(seconds)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  load.stdout.on('data', (chunk) => (out += chunk));
  await new Promise((resolve) => load.once('exit', resolve));
  const { seconds: elapsed, acked } = JSON.parse(out);
  progress(`${acked.length} writes in ${elapsed.toFixed(1)} s`);
  await archiver.waitFor(primary.position().txid, 30_000);
  clearInterval(sampler);
  archived.push([Date.now(), Number(archiver.position.txid)]);
  const lags = [];
  let at = 0;
  for (const [txid, time] of acked.sort((a, b) => a[0] - b[0])) {
    while (archived[at][1] < txid) at++;
    lags.push(Math.max(0, archived[at][0] - time));
  }
  lags.sort((a, b) => a - b);
  await archiver.close();
  await primary.close();
  // Commit → stored, from the archive itself: each batch file's time against its oldest record's
  // commit time (in its name): the worst lag of any record of that batch.
  const stored = [];
  const catalog = await ArchiveCatalog.read(openTarget(path.join(dir, 'lag-archive')));
  for (const { object, batch } of catalog.generations[0].batches)
    stored.push(fs.statSync(path.join(dir, 'lag-archive', object)).mtimeMs - batch.firstTime);
  stored.sort((a, b) => a - b);
  return {
    rate: acked.length / elapsed,
    transactions: acked.length,
    p50: percentiles(lags).p50,
    p99: percentiles(lags).p99,
    max: percentiles(lags).max,
    batches: stored.length,
    storedP50: percentiles(stored).p50,
    storedP99: percentiles(stored).p99,
    storedMax: percentiles(stored).max,
  };
}

/** Archives a copy of the 1 GiB scan fixture plus `updates` transactions, then restores it twice. */
async function measureRestore({ mib, updates }) {
  const fixture = await bigFixture(mib);
  const db = path.join(dir, 'big.db');
  fs.copyFileSync(fixture.file, db);
  const archive = path.join(dir, 'big-archive');
  const primary = await startPrimary({ path: db, logRetainTxids: updates + 10 });
  const archiver = Archiver.start({
    url: primary.url,
    target: archive,
    position: () => primary.position(),
    snapshotIntervalMs: 86_400_000,
    log: quiet,
  });
  let t = performance.now();
  // The first snapshot: the whole database, streamed into the archive.
  while (archiver.position === undefined) await new Promise((r) => setTimeout(r, 20));
  const snapshotSeconds = (performance.now() - t) / 1000;
  progress(`first snapshot in ${snapshotSeconds.toFixed(1)} s`);
  const first = archiver.position.txid;
  const rows = fixture.rows;
  for (let i = 0; i < updates; i++) {
    const id = 1 + ((i * 7919) % rows);
    await execute(primary.url, 'UPDATE big SET x = randomblob(1000) WHERE id IN (?, ?, ?, ?)', [
      id,
      (id + 1000) % rows,
      (id + 2000) % rows,
      (id + 3000) % rows,
    ]);
  }
  const newest = primary.position();
  progress(`${updates} updates done`);
  await archiver.waitFor(newest.txid, 60_000);
  await archiver.close();
  await primary.close();
  const dbBytes = fs.statSync(db).size;
  const archiveBytes = treeBytes(archive);
  const logBytes = treeBytes(`${db}-log`);
  fs.rmSync(db, { force: true });
  fs.rmSync(`${db}-log`, { recursive: true, force: true });

  const timeRestore = async (txid) => {
    const to = path.join(dir, 'restored.db');
    const started = performance.now();
    const result = await restore({ from: archive, to, ...(txid === undefined ? {} : { txid }) });
    const seconds = (performance.now() - started) / 1000;
    fs.rmSync(to, { force: true });
    return { seconds, txid: result.position.txid.toString(), records: result.records };
  };
  t = performance.now();
  const latest = await timeRestore(undefined);
  const middle = await timeRestore(first + BigInt(Math.floor(updates / 2)));
  return {
    mib,
    updates,
    snapshotSeconds,
    dbBytes,
    archiveBytes,
    logBytes,
    latest,
    middle,
  };
}

try {
  const lag = await measureLag(options.lag);
  const big = await measureRestore(options.restore);
  console.log(JSON.stringify({ lag, big, disk: execFileSync('df', ['-h', dir]).toString().split('\n')[1] }));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
