/**
 * The replication suite of `npm run bench`: a primary and replicas as separate `node` processes on
 * 127.0.0.1 (bench/replication/), measuring commit-to-visible lag at 1k tx/s and at the highest
 * rate, forwarded writes with read-your-writes, write throughput from 1, 8 and 64 clients, local
 * reads on a replica against a plain local database, what capture adds to a commit, the bytes a
 * replica receives against the pages that changed, and a snapshot bootstrap of 1 GiB (256 MiB
 * under `--quick`).
 *
 * ```sh
 * node bench/run.mjs --only=none --suites=replication --quick
 * ```
 *
 * Everything runs from one esbuild bundle of bench/replication/entry.ts (core + replication, so the
 * replica backend registry is shared), in processes started and stopped here; the temp dir goes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundle } from '../bundle.mjs';
import { BUNDLE_FILE } from '../replication/bundle-path.mjs';
import { waitForQuiet } from '../quiet.mjs';
import { withTempDir } from '../temp-dir.mjs';
import { Node } from '../replication/processes.mjs';
import { lagOf, lastIdOf, noGrowth } from '../replication/lag-analysis.mjs';
import { FILL_READS } from '../replication/workload.mjs';

const SIZES = {
  quick: {
    openSeconds: 2,
    closedSeconds: 1.5,
    ryw: 300,
    readRows: 10_000,
    readOps: 5_000,
    readRounds: 3,
    commits: 1000,
    durableCommits: 150,
    captureRounds: 5,
    applies: 200,
    bytesSmall: 200,
    snapshotMiB: 256,
  },
  full: {
    openSeconds: 5,
    closedSeconds: 3,
    ryw: 1000,
    readRows: 100_000,
    readOps: 20_000,
    readRounds: 5,
    commits: 2000,
    durableCommits: 300,
    captureRounds: 9,
    applies: 500,
    bytesSmall: 600,
    snapshotMiB: 1024,
  },
};

async function execute(url, sql, args = []) {
  const response = await fetch(`${url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql, args }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`${sql}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** How long the suite waits for the replica to apply a run's writes before the next run. */
const CATCH_UP_MS = 15_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Measurements that started while the machine was busy (after waiting up to 10 s for it to calm down). */
const busy = [];
let quietBudgetMs = 0;

/** Waits (up to 10 s, within the run's budget) for an idle machine; notes it if it stayed busy. */
async function quiet(what) {
  const quiet = await waitForQuiet(Math.max(0, Math.min(10_000, quietBudgetMs)));
  quietBudgetMs -= quiet.waitedMs;
  if (quiet.busy) busy.push(`${what} (CPU ${Math.round(quiet.cpu * 100)}%, disk ${Math.round(quiet.disk * 100)}%)`);
}

async function task(name, params) {
  await quiet(name === 'write' ? `${name} ${params.mode} ${params.rate ?? params.clients}` : name);
  return Node.start('task', { task: name, params }).done;
}

const ms = (v, digits = 2) => (v === undefined || Number.isNaN(v) ? '—' : `${v.toFixed(digits)} ms`);
const int = (v) => Math.round(v).toLocaleString('en-US');
const ratio = (v) => `${v.toFixed(2)}×`;

async function measure({ quick, log }, dir) {
  const size = quick ? SIZES.quick : SIZES.full;
  busy.length = 0;
  quietBudgetMs = quick ? 5_000 : 20_000;
  const md = [];
  const targets = [];

  log('capture cost (no primary running)');
  const capture = await task('captureCost', {
    dir,
    commits: size.commits,
    durableCommits: size.durableCommits,
    rounds: size.captureRounds,
  });
  log('apply cost on a replica');
  const apply = await task('applyCost', { dir, n: size.applies });

  log('starting the primary');
  const primary = Node.start('primary', { path: path.join(dir, 'primary.db') });
  const { url } = await primary.ready;
  await execute(url, 'CREATE TABLE lag (id INTEGER PRIMARY KEY, v TEXT)');
  await execute(url, 'CREATE TABLE ryw (id INTEGER PRIMARY KEY, v TEXT)');
  await execute(url, 'CREATE TABLE reads (id INTEGER PRIMARY KEY, v TEXT)');
  await execute(url, FILL_READS, [size.readRows]);
  const fsync = await task('fsyncCost', { dir, n: 300 });

  log('write throughput: closed-loop writers, no replica');
  const runs = [];
  const writeRun = async (label, params) => {
    const result = await task('write', {
      url,
      seconds: params.mode === 'open' ? size.openSeconds : size.closedSeconds,
      ...params,
    });
    log(
      `${label}: ${int(result.txPerSecond)} tx/s, ${result.completed} writes, ${result.errors} errors${result.firstError ? ` (${result.firstError})` : ''}`,
    );
    const run = { label, params, result };
    runs.push(run);
    return run;
  };
  const closed = [];
  for (const clients of [1, 8, 64])
    closed.push(await writeRun(`${clients} client${clients === 1 ? '' : 's'}`, { mode: 'closed', clients }));
  const best = closed.reduce((a, b) => (b.result.txPerSecond > a.result.txPerSecond ? b : a));
  const max = best.result.txPerSecond;

  /**
   * Write runs with a follower process: the replica catches up after each run (no backlog carries
   * over); then the follower's visibility stamps give each run its lag.
   */
  const lagPhase = async (name, sync, specs) => {
    log(`lag: a follower process (${name}) and writer processes`);
    const follower = Node.start('task', {
      task: 'follow',
      params: { url, path: path.join(dir, `follower-${name}.db`), sync },
    });
    await follower.ready;
    const phase = [];
    for (const spec of specs) {
      const run = await writeRun(spec.label, spec.params);
      phase.push(run);
      const lastId = lastIdOf(run.result);
      const t0 = performance.now();
      let seen;
      while ((seen = await follower.ask({ progress: true }, 'lastId')) < lastId && performance.now() - t0 < CATCH_UP_MS)
        await sleep(100);
      run.catchUpMs = performance.now() - t0;
      run.caughtUp = seen >= lastId;
    }
    const { visible, maxRssMiB } = await follower.stop({ untilId: Math.max(...phase.map((r) => lastIdOf(r.result))) });
    for (const run of phase) run.lag = lagOf(run.result, visible);
    return { runs: phase, maxRssMiB };
  };
  const highRate = max >= 5000 * 1.05 ? 5000 : Math.max(100, Math.floor((max * 0.9) / 100) * 100);
  const at100 = {
    label: '100 tx/s (open loop)',
    params: { mode: 'open', rate: 100, clients: 64, seconds: Math.min(2, size.openSeconds) },
  };
  const at1kSpec = { label: '1k tx/s (open loop)', params: { mode: 'open', rate: 1000, clients: 64 } };
  const durable = await lagPhase('durable', true, [
    at100,
    at1kSpec,
    { label: `maximum rate (closed loop, ${best.label})`, params: { mode: 'closed', clients: best.params.clients } },
    {
      label: `${int(highRate)} tx/s (open loop${highRate === 5000 ? '' : ', 90% of the maximum'})`,
      params: { mode: 'open', rate: highRate, clients: 64 },
    },
  ]);
  const fast = await lagPhase('sync-false', false, [at100, at1kSpec]);
  const lagRuns = durable.runs;
  const [, at1k, , high] = lagRuns;
  const followerRss = durable.maxRssMiB;

  log('forwarded writes with read-your-writes');
  const ryw = await task('readYourWrites', { url, path: path.join(dir, 'ryw.db'), n: size.ryw });
  const rywFast = await task('readYourWrites', {
    url,
    path: path.join(dir, 'ryw-sync-false.db'),
    n: size.ryw,
    replicaSync: false,
  });
  log('local reads: replica client vs plain local client');
  const reads = await task('reads', {
    url,
    replicaPath: path.join(dir, 'reads-replica.db'),
    localPath: path.join(dir, 'reads-local.db'),
    rows: size.readRows,
    ops: size.readOps,
    rounds: size.readRounds,
  });
  log('bytes on the log stream');
  const bytes = await task('streamBytes', { url, small: size.bytesSmall });
  const primaryRss = (await primary.stop())?.maxRssMiB;

  // ---- throughput and lag
  md.push(
    `Every process below is a separate \`node\` on 127.0.0.1; the machine has ${os.cpus().length} cores for all of them. The primary is \`startPrimary\` (one writer connection, \`synchronous=FULL\`, every commit appended to the log with fsync before it is acknowledged). Writers are \`HttpTransport\`s (what a replica client forwards a write with), all in one process, one row of 100 characters a transaction; "closed loop": N clients each awaiting its write before the next; "open loop": writes due on a fixed schedule (\`t0 + i / rate\`, no drift), sent by up to 64 clients (a write due while all 64 are busy waits, and its latency counts from when it was due). Half a second of the same writes at the same pace warms each run up untimed.`,
  );
  md.push('');
  md.push(`Write throughput through the primary, no replica connected (${size.closedSeconds} s each):`);
  md.push('');
  md.push('| clients | tx/s | write latency p50 | p99 |');
  md.push('| --: | --: | --: | --: |');
  for (const run of closed)
    md.push(
      `| ${run.params.clients} | ${int(run.result.txPerSecond)} | ${ms(run.result.latency.p50)} | ${ms(run.result.latency.p99)} |`,
    );
  md.push('');
  md.push(
    `For scale: LiteFS documents < 100 tx/s, rqlite 10–200 single writes/s. An fsync of 100 bytes in the primary's directory takes ${ms(fsync.p50, 3)} (p50; p99 ${ms(fsync.p99, 3)}); a commit on the primary makes two syncs (the WAL's at \`synchronous=FULL\` and the log append's), on the event loop, and commits are not grouped: one writer connection does one transaction at a time.`,
  );
  md.push('');
  md.push(
    `Commit-to-visible lag: a follower process runs a \`ReplicaFollower\` (default options: each apply durable; then a second one with \`sync: false\`, for comparison) and a reader connection of its own on the replica file; each time the follower's position moves, the reader reads \`max(id)\` and stamps every id up to it visible. Lag is visible-at minus the writer's acknowledged-at, both \`performance.timeOrigin + performance.now()\` (one machine clock); a write visible before its HTTP answer reached the writer counts as 0. The replica catches up before each run starts. Primary and replica share one disk here, so a durable replica's syncs compete with the primary's. "replica applies" is the run's writes over the time between the first and the last becoming visible.`,
  );
  md.push('');
  md.push(
    '| replica | run | tx/s | write p50 / p99 | lag p50 | lag p99 | lag max | lag p50 / p99, first third | lag p50 / p99, last third | replica applies | catch-up after |',
  );
  md.push('| :-- | :-- | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
  for (const { label, result, lag, catchUpMs, caughtUp, sync } of [
    ...lagRuns.map((r) => ({ ...r, sync: 'durable (default)' })),
    ...fast.runs.map((r) => ({ ...r, sync: '`sync: false`' })),
  ]) {
    md.push(
      `| ${sync} | ${label} | ${int(result.txPerSecond)} | ${ms(result.latency.p50)} / ${ms(result.latency.p99)} | ${ms(lag.p50)} | ${ms(lag.p99)} | ${ms(lag.max)} | ${ms(lag.first.p50)} / ${ms(lag.first.p99)} | ${ms(lag.last.p50)} / ${ms(lag.last.p99)} | ${int(lag.applyRate)} tx/s | ${(catchUpMs / 1000).toFixed(1)} s${caughtUp ? '' : ' (gave up)'} |`,
    );
  }
  md.push('');
  md.push(
    `Peak RSS: primary ${int(primaryRss ?? NaN)} MiB, follower ${int(followerRss)} MiB.${lagRuns.some((r) => r.lag.missing) ? ' **Some acknowledged writes were never seen on the replica.**' : ''}`,
  );
  md.push('');
  md.push(
    `What one apply costs on a replica (\`Replica.apply\` of a 1-page record, a reader connection open on the file, in one process, ${size.applies} applies): a follower that keeps up applies each record as its own WAL commit on a fresh connection, so this bounds the rate a replica keeps up with record by record (one that fell behind applies up to 64 buffered records per commit).`,
  );
  md.push('');
  md.push('| apply | p50 | p99 | at most, one after the other |');
  md.push('| :-- | --: | --: | --: |');
  md.push(
    `| durable (default: position file fsynced, \`synchronous=FULL\`) | ${apply.sync.p50.toFixed(0)} µs | ${apply.sync.p99.toFixed(0)} µs | ${int(1e6 / apply.sync.p50)} tx/s |`,
  );
  md.push(
    `| \`sync: false\` | ${apply.nosync.p50.toFixed(0)} µs | ${apply.nosync.p99.toFixed(0)} µs | ${int(1e6 / apply.nosync.p50)} tx/s |`,
  );
  md.push('');
  const lag1k = at1k.lag;
  const fast1k = fast.runs[1];
  const reached = (run) => `${int(run.result.txPerSecond)} tx/s reached`;
  targets.push([
    'lag p50 ≤ 1 ms at 1k tx/s',
    `${ms(lag1k.p50)} (${reached(at1k)}; replica \`sync: false\`: ${ms(fast1k.lag.p50)}, ${reached(fast1k)})`,
    lag1k.p50 <= 1 && at1k.result.txPerSecond >= 950,
  ]);
  targets.push([
    'lag p99 ≤ 5 ms at 1k tx/s',
    `${ms(lag1k.p99)} (\`sync: false\`: ${ms(fast1k.lag.p99)})`,
    lag1k.p99 <= 5 && at1k.result.txPerSecond >= 950,
  ]);
  const sustained = high.result.txPerSecond >= highRate * 0.95 && high.result.errors === 0;
  const growth = `lag p50 ${ms(high.lag.first.p50)} → ${ms(high.lag.last.p50)} (first → last third)`;
  if (highRate === 5000)
    targets.push([
      'no lag growth at 5k tx/s sustained',
      `${int(high.result.txPerSecond)} tx/s; ${growth}`,
      sustained && noGrowth(high.lag),
    ]);
  else
    targets.push([
      'no lag growth at 5k tx/s sustained',
      `5k not reachable: max ${int(max)} tx/s; at ${int(high.result.txPerSecond)} tx/s ${growth}`,
      false,
    ]);

  // ---- forwarded writes
  md.push(
    `Forwarded write + read-your-writes: a replica client (\`createClient({ url: 'file:…', syncUrl })\`) in its own process does \`INSERT\` (sent to the primary) then \`SELECT\` of that row (local, after the replica has applied the insert), ${size.ryw} times one after the other after 100 untimed; then the same with the client's \`ReplicaFollower\` at \`sync: false\` (its backend registered by hand, as \`wasmlite/replication\` does but with that option).`,
  );
  md.push('');
  md.push('| | p50 | p99 | max | replica \`sync: false\`: p50 | p99 |');
  md.push('| :-- | --: | --: | --: | --: | --: |');
  const rywRow = (label, key) =>
    md.push(
      `| ${label} | ${ms(ryw[key].p50)} | ${ms(ryw[key].p99)} | ${ms(ryw[key].max)} | ${ms(rywFast[key].p50)} | ${ms(rywFast[key].p99)} |`,
    );
  rywRow('forwarded \`INSERT\`', 'write');
  rywRow('then \`SELECT\` of it (waits for the apply)', 'read');
  rywRow('write + read-your-writes', 'total');
  md.push(
    `| an fsync on the primary's disk (100 bytes) | ${ms(fsync.p50, 3)} | ${ms(fsync.p99, 3)} | ${ms(fsync.max, 3)} | | |`,
  );
  md.push('');
  if (ryw.wrong + rywFast.wrong > 0)
    md.push(`**${ryw.wrong + rywFast.wrong} reads did not return the row just written.**\n`);
  const rywBudget = 2 + fsync.p50;
  targets.push([
    "forwarded write + read-your-writes p50 < 2 ms + the primary's fsync",
    `${ms(ryw.total.p50)} (budget ${ms(rywBudget)}; replica \`sync: false\`: ${ms(rywFast.total.p50)})`,
    ryw.total.p50 < rywBudget && ryw.wrong === 0,
  ]);

  // ---- capture
  const cpuRatio = capture['capture OFF'] / capture['plain OFF'];
  const durableRatio = capture['capture FULL'] / capture['plain FULL'];
  md.push(
    `Capture cost: 1-page commits (\`UPDATE\` of a 3000-byte row, one row a page) on four copies of one database in one process, rounds interleaved, µs a commit (medians of ${size.captureRounds}): without an observer, and with the primary's capture (\`WalCapture\` appending to a \`TransactionLog\`). At \`synchronous=OFF\` the log does not fsync either (the CPU cost alone); at \`synchronous=FULL\` it fsyncs each append, as on the primary.`,
  );
  md.push('');
  md.push('| commit | no capture | with capture | ratio |');
  md.push('| :-- | --: | --: | --: |');
  md.push(
    `| \`synchronous=OFF\`, record built and dropped (no log) | ${capture['plain OFF'].toFixed(1)} µs | ${capture['record OFF'].toFixed(1)} µs | ${ratio(capture['record OFF'] / capture['plain OFF'])} |`,
  );
  md.push(
    `| \`synchronous=OFF\`, log without fsync | ${capture['plain OFF'].toFixed(1)} µs | ${capture['capture OFF'].toFixed(1)} µs | ${ratio(cpuRatio)} |`,
  );
  md.push(
    `| \`synchronous=FULL\`, log fsynced | ${capture['plain FULL'].toFixed(1)} µs | ${capture['capture FULL'].toFixed(1)} µs | ${ratio(durableRatio)} |`,
  );
  md.push('');
  targets.push([
    'capture adds ≤ 10% to a commit (CPU: synchronous=OFF, log not fsynced)',
    `+${((cpuRatio - 1) * 100).toFixed(0)}%`,
    cpuRatio <= 1.1,
  ]);
  targets.push([
    'capture adds ≤ 10% to a commit (durable: synchronous=FULL, log fsynced)',
    `+${((durableRatio - 1) * 100).toFixed(0)}%`,
    durableRatio <= 1.1,
  ]);

  // ---- reads
  const readRatio = reads.local / reads.replica;
  md.push(
    `Local reads: \`SELECT v FROM reads WHERE id = ?\` over ${int(size.readRows)} rows, ${int(size.readOps)} awaited one after the other, on a replica client and on a plain \`createClient({ url: 'file:…' })\` of the same rows, in one process, alternating rounds (medians of ${size.readRounds}); the synchronous \`Database\` statement is there for scale.`,
  );
  md.push('');
  md.push('| reader | selects/s | time ÷ plain local client |');
  md.push('| :-- | --: | --: |');
  md.push(`| replica client | ${int(reads.replica)} | ${ratio(readRatio)} |`);
  md.push(`| plain local client | ${int(reads.local)} | 1.00× |`);
  md.push(
    `| \`Database\` prepared \`get\` (synchronous) | ${int(reads.database)} | ${ratio(reads.local / reads.database)} |`,
  );
  md.push('');
  targets.push([
    'replica reads within 1.1× of plain local reads',
    ratio(readRatio),
    readRatio <= 1.1 && reads.sameRows,
  ]);

  // ---- bytes
  const bytesRatio = bytes.wireBytes / bytes.pageBytes;
  md.push(
    `Bytes to a replica: \`GET /v1/log?from=\` read on a raw TCP socket (every byte received, HTTP framing included) while ${bytes.transactions} transactions commit (${size.bytesSmall} one-row inserts, ${size.bytesSmall / 2} rewrites of a 3000-byte row, ${size.bytesSmall / 20} transactions rewriting 20 such rows), against the pages those records carry × the page size (the same stream decoded with \`TxRecord.decode\`).`,
  );
  md.push('');
  md.push('| records | pages | page bytes | stream body bytes | bytes on the wire | wire ÷ page bytes |');
  md.push('| --: | --: | --: | --: | --: | --: |');
  md.push(
    `| ${int(bytes.records)} | ${int(bytes.pages)} | ${int(bytes.pageBytes)} | ${int(bytes.bodyBytes)} | ${int(bytes.wireBytes)} | ${ratio(bytesRatio)} |`,
  );
  md.push('');
  targets.push([
    'bytes sent to a replica ≤ 1.1× the changed page bytes',
    ratio(bytesRatio),
    bytesRatio <= 1.1 && bytes.complete,
  ]);

  // ---- snapshot
  log(`snapshot bootstrap of ${size.snapshotMiB} MiB`);
  md.push(...(await snapshot(dir, size.snapshotMiB, quick, targets, log)));
  if (busy.length > 0)
    md.push(
      '',
      `The machine was busy (other work running) when these started, so their figures are pessimistic: ${busy.join('; ')}.`,
    );
  return { markdown: md.join('\n'), targets };
}

/** Builds a big database, starts a primary on it, times a new replica to its first read. */
async function snapshot(dir, mib, quick, targets, log) {
  const md = [];
  const file = path.join(dir, 'big.db');
  const built = await task('buildBig', { path: file, mib });
  const primary = Node.start('primary', { path: file });
  let startMs;
  let boot;
  let failure;
  let primaryRss;
  try {
    const ready = await primary.ready;
    startMs = ready.startMs;
    boot = await task('bootstrap', {
      url: ready.url,
      path: path.join(dir, 'big-replica.db'),
      expectRows: mib,
      sampleBytes: 256 * 2 ** 20,
    });
  } catch (error) {
    failure = String(error?.message ?? error);
    log(`snapshot: ${failure}`);
  } finally {
    primaryRss = (await primary.stop().catch(() => undefined))?.maxRssMiB;
  }
  const label = `${mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`}`;
  md.push(
    `Snapshot bootstrap: a ${label} database (${mib} rows of a 1 MiB zero blob, built in ${(built.ms / 1000).toFixed(1)} s) served by a fresh primary (its start, which checksums every page, took ${startMs === undefined ? '—' : `${(startMs / 1000).toFixed(1)} s`}); a new replica process runs \`ReplicaFollower\` until \`ready()\` (\`GET /v1/snapshot\` downloaded, written with fsync, every page checksummed by \`Replica.open\`) and a reader's first query. The primary streams the snapshot's pages in 1 MiB chunks from a read transaction of its own. Then, to split the time, \`Replica.open\` of the file alone (it checksums every page, as the bootstrap's open did) and the snapshot stream alone (its first 256 MiB fetched, counted and dropped) are timed.`,
  );
  md.push('');
  if (failure !== undefined) {
    md.push(`**The bootstrap failed:** ${failure} (primary peak RSS ${int(primaryRss ?? NaN)} MiB).`);
    targets.push([
      `a 1 GiB snapshot bootstraps a replica in ≤ 30 s${quick ? ' (measured at 256 MiB under --quick)' : ''}`,
      `failed: ${failure.slice(0, 120)}`,
      false,
    ]);
    return md;
  }
  const mibPerSecond = boot.bytes / 2 ** 20 / (boot.downloadMs / 1000);
  md.push(
    '| size | ready | first read | bootstrap MiB/s | of which \`Replica.open\` | snapshot stream alone | primary peak RSS | replica peak RSS |',
  );
  md.push('| --: | --: | --: | --: | --: | --: | --: | --: |');
  md.push(
    `| ${label} | ${(boot.readyMs / 1000).toFixed(1)} s | ${(boot.firstReadMs / 1000).toFixed(1)} s | ${int(boot.fileBytes / 2 ** 20 / (boot.readyMs / 1000))} | ${(boot.openMs / 1000).toFixed(1)} s | ${int(mibPerSecond)} MiB/s (first byte after ${ms(boot.firstByteMs, 0)}) | ${int(primaryRss ?? NaN)} MiB | ${int(boot.rssAfterBootstrapMiB)} MiB |`,
  );
  md.push('');
  if (!boot.rowsOk) md.push(`**The replica's first read counted ${boot.rows} rows, not ${mib}.**\n`);
  const seconds = boot.firstReadMs / 1000;
  if (quick)
    targets.push([
      'a 1 GiB snapshot bootstraps a replica in ≤ 30 s',
      `${seconds.toFixed(1)} s at ${label} (--quick)`,
      undefined,
    ]);
  else
    targets.push([
      'a 1 GiB snapshot bootstraps a replica in ≤ 30 s',
      `${seconds.toFixed(1)} s`,
      seconds <= 30 && boot.rowsOk,
    ]);
  return md;
}

export default {
  title: 'Replication',
  async run({ quick, cases, log }) {
    // Its measurements share one primary and build on each other (the lag runs use the highest
    // write rate found first): it runs whole.
    if (cases !== undefined) throw new Error('the replication suite runs whole: --cases is for the ORM suites');
    const why = await bundle('bench/replication/entry.ts', BUNDLE_FILE, { engineWorker: true });
    if (why) return { markdown: `Not measured: replication ${why}.`, targets: [] };
    try {
      return await withTempDir('replication', (dir) => measure({ quick, log }, dir));
    } finally {
      Node.killAll();
    }
  },
};
