/**
 * The continuous backup suite of `npm run bench` (issue 16): the archiver's recovery point at
 * 1000 transactions a second, restoring a 1 GiB database to its newest position and to one
 * mid-way, and the archive's size against the database's.
 *
 * ```sh
 * node bench/run.mjs --only=none --suites=backup
 * node bench/suites/backup.mjs [--quick]      # this suite alone, printing its section
 * ```
 *
 * `replication/index.ts` is bundled with esbuild first, and the measurements run in a child
 * process (bench/backup/measure.mjs). Lag: a primary with an in-process archiver to a directory
 * (default `maxLagMs` 1000) takes `INSERT`s paced at 1000 a second for 10 s from another process
 * (bench/backup/load.mjs, 64 in flight at most). The recovery point is each batch file's time
 * against its oldest record's commit time; also shown, each write's time from its acknowledgement
 * until the archiver's position (sampled in its process) holds it.
 * Restore: a copy of the 1 GiB scan fixture (bench/fixtures.mjs) served by a primary, archived
 * (its first snapshot), then 2000 transactions of four 1000-byte row updates each; `restore()`
 * to the newest txid and to the one half-way through the updates, each into a new file.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle } from '../bundle.mjs';
import { ROOT } from '../repository.mjs';

const BUNDLE = 'bench/.build/lib/backup.mjs';
const RESTORE_TARGET_S = 30;
const LAG_TARGET_MS = 1000;

function child(options) {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bench/backup/measure.mjs'),
        pathToFileURL(path.join(ROOT, BUNDLE)).href,
        JSON.stringify(options),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line));
      else reject(new Error(`bench/backup/measure.mjs exited with ${code}: ${out.slice(-500)}`));
    });
  });
}

const ms = (n) => `${n.toFixed(0)} ms`;
const s = (n) => `${n.toFixed(1)} s`;
const mib = (n) => `${(n / 2 ** 20).toFixed(0)} MiB`;

const suite = {
  title: 'Continuous backup (issue 16)',
  async run({ quick = false, log = console.log } = {}) {
    const why = await bundle('replication/index.ts', BUNDLE, { engineWorker: true });
    if (why !== undefined) return { markdown: `Backup: ${why}`, targets: [] };
    const options = {
      lag: { rate: 1000, seconds: quick ? 3 : 10 },
      restore: { mib: quick ? 256 : 1024, updates: quick ? 500 : 2000 },
    };
    log(`backup: lag at ${options.lag.rate} tx/s for ${options.lag.seconds} s, restore of ${options.restore.mib} MiB`);
    const { lag, big } = await child(options);
    const size = `${options.restore.mib} MiB`;
    const markdown = [
      `Archive lag (recovery point) at ${options.lag.rate} tx/s requested, ${lag.rate.toFixed(0)} tx/s reached, ` +
        `${lag.transactions} transactions, default \`maxLagMs\` 1000, archive in a local directory:`,
      '',
      '| | p50 | p99 | max |',
      '|---|---:|---:|---:|',
      `| commit → stored, oldest record of each of the ${lag.batches} batches (file time) | ${ms(lag.storedP50)} | ${ms(lag.storedP99)} | ${ms(lag.storedMax)} |`,
      `| acknowledged (load process) → archived (sampled in the primary's process) | ${ms(lag.p50)} | ${ms(lag.p99)} | ${ms(lag.max)} |`,
      '',
      `The load runs in a process of its own; the archiver runs in the primary's process, whose event loop the commits keep busy (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores at the end of this run).`,
      '',
      `Restore of a ${size} database (${big.updates} transactions after its snapshot):`,
      '',
      '| | time | records applied |',
      '|---|---:|---:|',
      `| first snapshot into the archive (archiver) | ${s(big.snapshotSeconds)} | |`,
      `| restore to the newest txid (${big.latest.txid}) | ${s(big.latest.seconds)} | ${big.latest.records} |`,
      `| restore to a txid mid-way (${big.middle.txid}) | ${s(big.middle.seconds)} | ${big.middle.records} |`,
      '',
      `Sizes: database ${mib(big.dbBytes)}, archive ${mib(big.archiveBytes)} ` +
        `(${(big.archiveBytes / big.dbBytes).toFixed(2)}× the database: one snapshot plus the records; ` +
        `the primary's own log for the same transactions: ${mib(big.logBytes)}).`,
    ].join('\n');
    return {
      markdown,
      targets: [
        [
          `Backup: archive lag at 1k tx/s ≤ ${LAG_TARGET_MS} ms (commit → stored, max)`,
          ms(lag.storedMax),
          lag.storedMax <= LAG_TARGET_MS,
        ],
        [
          `Backup: restore ${size} to newest ≤ ${RESTORE_TARGET_S} s`,
          s(big.latest.seconds),
          big.latest.seconds <= RESTORE_TARGET_S,
        ],
        [
          `Backup: restore ${size} mid-way ≤ ${RESTORE_TARGET_S} s`,
          s(big.middle.seconds),
          big.middle.seconds <= RESTORE_TARGET_S,
        ],
      ],
    };
  },
};

export default suite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await suite.run({ quick: process.argv.includes('--quick') });
  console.log(out.markdown);
  for (const [target, measured, ok] of out.targets) console.log(`${ok ? 'met' : 'MISSED'}: ${target}: ${measured}`);
}
