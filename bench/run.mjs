/**
 * The benchmark runner (`npm run bench`): runs every driver × workload × mode in a fresh child
 * process, several times in round-robin order, prints one table per workload with the median time
 * and the ratio to better-sqlite3, and writes BENCHMARKS.md.
 *
 * ```sh
 * node bench/run.mjs                  # the full run, ~5–10 minutes on 2 cores
 * node bench/run.mjs --quick          # fewer rows and repetitions, does not write BENCHMARKS.md
 * node bench/run.mjs --no-write       # a full run that leaves BENCHMARKS.md alone (--write forces it)
 * node bench/run.mjs --no-big         # skips the 1 GiB scan (peak RSS; its file is built once, ~10 s)
 * node bench/run.mjs --only=point,range --drivers=better-sqlite3,wasmlite --reps=3
 * node bench/run.mjs --only=point,range,bulk --drivers=better-sqlite3,wasmlite,node-sqlite,bun-sqlite
 * node bench/run.mjs --suites=kysely    # only that suite (bench/suites/*.mjs); --suites=none skips them all
 * node bench/run.mjs --only=none        # the suites without the core workloads
 * node bench/run.mjs --only=none --suites=kysely --cases=range,all --reps=3   # some of a suite's workloads
 * ```
 *
 * A driver with a `runtime` (node:sqlite on Node 24, bun:sqlite on Bun) runs in children started on
 * that runtime, as installed by `npm run runtimes:install`, next to wasmlite on the same runtime
 * (`wasmlite@node24`, `wasmlite@bun`), on the point, range and bulk workloads only; the report
 * adds their ratios ("Runtime peers"). Without the runtimes installed they are left out.
 *
 * A suite is a file `bench/suites/<name>.mjs` whose default export is
 * `{ title, async run({ quick, reps, cases, log }) → { markdown, targets: [[target, measured, ok]] } }`
 * (`cases`: the workloads `--cases` names, undefined for all; the ORM suites honour it):
 * the ORM adapters and replication measure themselves against their peers there, and the runner
 * adds each returned section and its targets to the report.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundle } from './bundle.mjs';
import { commitOf, packageVersion, ROOT } from './repository.mjs';
import { withTempDir } from './temp-dir.mjs';
import { findOutcome } from './child-protocol.mjs';
import { bigFixture, cacheMissFixture } from './fixtures.mjs';
import { waitForQuiet } from './quiet.mjs';
import { Report } from './report.mjs';
import { workloads } from './workloads.mjs';
import { findRuntime, INSTALL_COMMAND } from '../test/runtimes/runtimes.mjs';

const CHILD = path.join(import.meta.dirname, 'child.mjs');
const DRIVERS = [
  'better-sqlite3',
  'wasmlite',
  'node-sqlite3-wasm',
  'sql-js',
  'sqlite-wasm-oo1',
  'node-sqlite',
  'bun-sqlite',
];
/** The workloads a driver on another runtime (and wasmlite next to it) runs. */
const PEER_WORKLOADS = ['point', 'range', 'bulk'];
const CHILD_TIMEOUT_MS = 300_000;
/** How long to wait for an idle machine before each run, and over the whole run. */
const QUIET_WAIT_MS = 30_000;
const QUIET_BUDGET_MS = 300_000;
let quietSpentMs = 0;
const EXIT_GRACE_MS = 2_000;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-big': { type: 'boolean', default: false },
    only: { type: 'string' },
    suites: { type: 'string' },
    cases: { type: 'string' },
    drivers: { type: 'string' },
    reps: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
  },
});

const sizes = args.quick
  ? {
      rows: 10_000,
      ops: 10_000,
      scans: 20,
      autocommits: 200,
      missOps: 5_000,
      missMb: 50,
      bigMiB: 256,
      reps: 3,
      coldPerRep: 2,
    }
  : {
      rows: 100_000,
      ops: 100_000,
      scans: 100,
      autocommits: 1_000,
      missOps: 50_000,
      missMb: 200,
      bigMiB: 1024,
      reps: 5,
      coldPerRep: 2,
    };
const reps = args.reps ? Number(args.reps) : sizes.reps;
const write =
  !args['no-write'] &&
  (args.write ?? !(args.quick || args.only || args.drivers || args.reps || args.suites || args.cases));

/** Bundles `core/index.ts` like a published build; returns why wasmlite cannot run, if it cannot. */
function buildWasmlite() {
  return bundle('core/index.ts', 'bench/.build/wasmlite.mjs', { splitting: true });
}

/** `Node 24.21.0`, `Bun 1.4.5`: the runtime's name and the version its binary reports. */
function runtimeLabel(runtime) {
  const version = execFileSync(runtime.binary, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  return `${runtime.label.replace(/ \d+$/, '')} ${version}`;
}

async function loadDrivers() {
  const wanted = args.drivers ? args.drivers.split(',') : DRIVERS;
  const drivers = new Map();
  let wasmlite;
  for (const id of DRIVERS.filter((d) => wanted.includes(d))) {
    const driver = (await import(`./drivers/${id}.mjs`)).default;
    if (id === 'wasmlite' || (driver.runtime && wasmlite === undefined)) {
      const missing = await buildWasmlite();
      wasmlite = missing ? null : (await import('./drivers/wasmlite.mjs')).default;
      if (missing) console.log(`wasmlite: ${missing}`);
      if (id === 'wasmlite' && missing) continue;
    }
    if (!driver.runtime) {
      drivers.set(id, driver);
      continue;
    }
    const runtime = findRuntime(driver.runtime);
    if (!runtime) {
      console.log(`${id}: ${driver.runtime} is not installed (${INSTALL_COMMAND}); left out`);
      continue;
    }
    const on = { binary: runtime.binary, args: runtime.javascript, label: runtimeLabel(runtime) };
    drivers.set(id, { ...driver, name: `${driver.name} (${on.label})`, on, workloads: PEER_WORKLOADS });
    if (wasmlite)
      drivers.set(`wasmlite@${driver.runtime}`, {
        ...wasmlite,
        name: `wasmlite on ${on.label}`,
        on,
        workloads: PEER_WORKLOADS,
        peer: id,
      });
  }
  return drivers;
}

/** Runs one child; resolves with its result line, how long that took to appear, and how it ended. */
function runChild(spec, on) {
  return new Promise((resolve) => {
    const started = performance.now();
    const argv = [...(on?.args ?? []), CHILD, JSON.stringify(spec)];
    const child = spawn(on?.binary ?? process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let line;
    let elapsed;
    let hung = false;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    let grace;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (line) return;
      line = findOutcome(stdout);
      if (!line) return;
      elapsed = performance.now() - started;
      grace = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, EXIT_GRACE_MS);
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      clearTimeout(grace);
      resolve({ line, elapsed, hung, timedOut, code, signal, stderr });
    });
  });
}

/** The sizes a workload runs with; the cache-miss queries are fewer than the point selects. */
function paramsFor(w, fixtures) {
  return { ...sizes, ops: w === 'cachemiss' ? sizes.missOps : sizes.ops, fixture: fixtures[w] };
}

/** The list of children to run, one round per repetition so that drift hits every driver alike. */
function plan(drivers, fixtures) {
  const selected = args.only ? args.only.split(',') : [...Object.keys(workloads), 'coldstart'];
  const chosen = (w) => selected.includes(w) && (w !== 'memory' || fixtures.memory);
  const jobs = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const [w, workload] of Object.entries(workloads)) {
      if (!chosen(w)) continue;
      for (const mode of workload.modes) {
        const params = { ...paramsFor(w, fixtures), mode };
        const onFile = mode !== 'memory';
        for (const [id, driver] of drivers) {
          if (driver.workloads && !driver.workloads.includes(w)) continue;
          if (!onFile || driver.files)
            jobs.push({ driver: id, on: driver.on, workload: w, mode, params, temp: onFile && !fixtures[w] });
        }
        if (workload.native?.modes.includes(mode))
          jobs.push({ driver: 'fs', workload: w, mode, params, temp: !fixtures[w] });
      }
    }
    if (chosen('coldstart')) {
      for (let i = 0; i < sizes.coldPerRep; i++) {
        const here = [...drivers].filter(([, driver]) => !driver.on).map(([id]) => id);
        for (const id of ['node', ...here])
          jobs.push({ driver: id, workload: 'coldstart', mode: 'memory', params: {} });
      }
    }
  }
  return jobs;
}

async function runJob(job, results) {
  const key = `${job.workload}/${job.mode}/${job.driver}`;
  if (!results.has(key)) results.set(key, { ms: [], metrics: {}, failures: [], mismatches: [], hung: 0, busy: 0 });
  const cell = results.get(key);
  return job.temp ? withTempDir('run', (dir) => runIn(job, cell, dir)) : runIn(job, cell, undefined);
}

/** Runs `job` (its database in `dir`, if any) and adds what it measured to `cell`; returns the line to print. */
async function runIn(job, cell, dir) {
  const params = { ...job.params, dir };
  if (job.params.fixture) params.file = job.params.fixture.file;
  else if (dir && job.driver !== 'fs') params.file = path.join(dir, 'bench.db');
  const quiet = await waitForQuiet(Math.min(QUIET_WAIT_MS, QUIET_BUDGET_MS - quietSpentMs));
  quietSpentMs += quiet.waitedMs;
  const busy = quiet.busy
    ? ` (machine busy: CPU ${Math.round(quiet.cpu * 100)}%, disk ${Math.round(quiet.disk * 100)}%)`
    : '';
  if (busy) cell.busy++;
  // `wasmlite@bun` is the wasmlite driver file, run on Bun.
  const outcome = await runChild({ driver: job.driver.split('@')[0], workload: job.workload, params }, job.on);
  if (outcome.hung) cell.hung++;
  if (outcome.line?.kind !== 'result') {
    const why = outcome.timedOut
      ? `timeout after ${CHILD_TIMEOUT_MS / 1000} s`
      : (outcome.line?.value.message ??
        `exit ${outcome.code ?? outcome.signal}: ${outcome.stderr.trim().split('\n').pop()}`);
    cell.failures.push(why);
    return `FAILED: ${why}`;
  }
  const result = outcome.line.value;
  const workload = workloads[job.workload];
  const expected =
    job.workload === 'coldstart'
      ? 'x=1'
      : job.driver === 'fs'
        ? /** @type {NonNullable<typeof workload.native>} */ (workload.native).expect(params)
        : workload.expect(params);
  if (result.check !== expected) {
    cell.mismatches.push(result.check);
    cell.expected = expected;
    console.log(
      `\n!!!!! MISMATCH ${job.workload}/${job.mode}/${job.driver}\n!!!!!   got      ${result.check}\n!!!!!   expected ${expected}\n`,
    );
  }
  const ms = job.workload === 'coldstart' ? outcome.elapsed : result.ms;
  cell.ms.push(ms);
  for (const [name, value] of Object.entries(result.metrics ?? {})) (cell.metrics[name] ??= []).push(value);
  cell.journal ??= result.journal;
  cell.sqlite ??= result.sqlite;
  cell.pageSize ??= result.pageSize;
  cell.cacheSize ??= result.cacheSize;
  return `${ms.toFixed(1)} ms${outcome.hung ? ' (hung at exit, killed)' : ''}${busy}`;
}

/** A driver's package and SQLite versions, and the page and cache sizes it gives a new database. */
function describe(id, driver, results) {
  const cell = results.get(`point/file/${id}`) ?? results.get(`point/memory/${id}`);
  const sqlite = cell?.sqlite ?? [...results].find(([k, c]) => k.endsWith(`/${id}`) && c.sqlite)?.[1].sqlite ?? '?';
  const defaults = cell?.pageSize ? `, page_size ${cell.pageSize}, cache_size ${cell.cacheSize}` : '';
  const version =
    id.split('@')[0] === 'wasmlite' ? ` at ${commitOf(ROOT)}` : driver.on ? '' : ` ${packageVersion(driver.pkg)}`;
  return `${driver.name}${version} (SQLite ${sqlite}${defaults})`;
}

/** A suite's targets as a table under its title, or nothing when it has none. */
function suiteTargets(section) {
  if (section.targets.length === 0) return '';
  const rows = section.targets.map(
    ([target, measured, ok]) => `| ${target} | ${measured} | ${ok === undefined ? '—' : ok ? 'pass' : '**miss**'} |`,
  );
  return `\n${section.title}:\n\n| target | measured | result |\n| :-- | --: | --: |\n${rows.join('\n')}\n`;
}

function markdown(report, drivers, results, sections, wallSeconds) {
  const versions = [...drivers].map(([id, d]) => describe(id, d, results));
  return `# Benchmarks

Generated by \`npm run bench\` (\`node bench/run.mjs${process.argv
    .slice(2)
    .map((a) => ` ${a}`)
    .join('')}\`); do not edit by hand.

- Machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}
- Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${reps} repetition${reps === 1 ? '' : 's'} (median), ${Math.round(wallSeconds)} s in all
- Drivers, with the defaults a new database gets (the workloads keep them):
${versions.map((v) => `  - ${v}`).join('\n')}

How it measures: every driver × workload × mode runs in a fresh \`node\` process, in round-robin
order, each once the machine is idle (waiting up to 30 s, 5 min in all); times are medians.
Each workload first does its work once untimed on other ids or another table (JIT and
WebAssembly tier-up), then the timed pass, whose rows are checked against a checksum computed
from the data generator. Ratios are driver time ÷ better-sqlite3 time (lower is better). File
modes use WAL with \`synchronous=NORMAL\` (unless the table says otherwise) in a fresh temp
directory; each driver keeps its own page and cache sizes (above). node-sqlite3-wasm gets WAL
through \`locking_mode=EXCLUSIVE\` (its VFS has no shared memory); sql.js and the official oo1
API have no file databases in Node. wasmlite is bundled from \`core/index.ts\` with esbuild.
node:sqlite and bun:sqlite, SQLite built into Node 22+ and Bun, run on Node 24 and Bun as
installed from npm (\`npm run runtimes:install\`), next to wasmlite on the same runtime, on the
point, range and bulk workloads; their rows' ratios are still to better-sqlite3 on this Node, and
"Runtime peers" divides wasmlite, on this Node and on the peer's runtime, by the peer.
The cache-miss file sits in the OS page cache: "µs/read" is the extra time of a query over the
whole file, which misses SQLite's 2 MB cache, over one confined to rows that stay cached,
divided by the read syscalls it made (from /proc/self/io), next to \`fs.readSync\` of a
random 4 KiB page of the same file. It is conservative: the cached queries also stay in the
CPU's caches, so the difference holds more than the read.

## Targets

${results.size > 0 ? report.targets() : '(the core workloads did not run)'}
${sections.map((s) => suiteTargets(s)).join('')}
## Results

${report.tables().join('\n\n')}
${sections.map((s) => `\n## ${s.title}\n\n${s.markdown.trim()}\n`).join('')}${report.notes().length > 0 ? `\n## Notes\n\n${report.notes().join('\n')}\n` : ''}`;
}

/** The suites in `bench/suites/`, filtered by `--suites`, in name order. */
async function loadSuites() {
  const dir = path.join(import.meta.dirname, 'suites');
  const names = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => f.slice(0, -4))
        .sort()
    : [];
  const wanted = args.suites ? args.suites.split(',') : names;
  const unknown = wanted.filter((n) => n !== 'none' && !names.includes(n));
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(', ')}; there are: ${names.join(', ')}`);
  const suites = [];
  for (const name of names.filter((n) => wanted.includes(n)))
    suites.push({ name, ...(await import(`./suites/${name}.mjs`)).default });
  return suites;
}

/** Runs one suite; a suite that throws is reported as failed instead of ending the whole run. */
async function runSuite(suite) {
  console.log(`\n== suite ${suite.name}: ${suite.title}`);
  try {
    const out = await suite.run({
      quick: args.quick,
      reps: args.reps ? Number(args.reps) : undefined,
      cases: args.cases?.split(','),
      log: (...a) => console.log(`[${suite.name}]`, ...a),
    });
    return { title: suite.title, markdown: out.markdown, targets: out.targets ?? [] };
  } catch (error) {
    console.log(`suite ${suite.name} failed: ${error?.stack ?? error}`);
    return { title: suite.title, markdown: `**This suite failed:** ${String(error?.message ?? error)}`, targets: [] };
  }
}

/**
 * Sections of BENCHMARKS.md that another command measures (`npm run bench:ha`: it takes etcd and
 * minutes of failovers): kept from the old file, at its end, when this run rewrites it.
 */
const KEPT_SECTIONS = ['## Failover (issue 14)'];

/**
 * The kept sections of `old` (see {@link KEPT_SECTIONS}), each up to the next `## ` heading.
 * @param {string} old
 */
function keptSections(old) {
  let kept = '';
  for (const heading of KEPT_SECTIONS) {
    const start = old.indexOf(`\n${heading}\n`);
    if (start === -1) continue;
    const next = old.indexOf('\n## ', start + heading.length + 2);
    kept += `\n${old.slice(start + 1, next === -1 ? undefined : next + 1).trimEnd()}\n`;
  }
  return kept;
}

async function main() {
  const started = performance.now();
  const suites = await loadSuites();
  const drivers = await loadDrivers();
  const wanted = (w) => !args.only || args.only.split(',').includes(w);
  const fixtures = {};
  if (wanted('cachemiss')) fixtures.cachemiss = await cacheMissFixture(sizes.missMb);
  if (wanted('memory') && !args['no-big']) fixtures.memory = await bigFixture(sizes.bigMiB);
  const params = Object.fromEntries(Object.keys(workloads).map((w) => [w, paramsFor(w, fixtures)]));

  const jobs = plan(drivers, fixtures);
  const results = new Map();
  for (const [i, job] of jobs.entries()) {
    const label = `[${i + 1}/${jobs.length}] ${job.workload} ${job.mode} ${job.driver}`;
    console.log(`${label.padEnd(56)} ${await runJob(job, results)}`);
  }
  const sections = [];
  for (const suite of suites) sections.push(await runSuite(suite));

  const report = new Report(results, drivers, workloads, params);
  const text = markdown(report, drivers, results, sections, (performance.now() - started) / 1000);
  console.log(`\n${text}`);
  if (write) {
    const file = path.join(ROOT, 'BENCHMARKS.md');
    fs.writeFileSync(file, text + keptSections(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''));
    console.log('wrote BENCHMARKS.md');
  }
  const bad = [...results.values()].some((c) => c.mismatches.length > 0);
  if (bad) console.log('\n!!!!! SOME RESULTS DID NOT MATCH THE EXPECTED CHECKSUMS (see MISMATCH above) !!!!!');
  process.exitCode = bad ? 1 : 0;
}

await main();
