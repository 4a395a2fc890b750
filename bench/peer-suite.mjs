/**
 * What the ORM suites (`bench/suites/{drizzle,kysely,prisma}.mjs`) share: each measures the same
 * workloads through several peers (wasmlite and the drivers it is compared with), every peer in a
 * fresh child process per repetition — the suite file itself, run as a script — and reports
 * medians and ratios.
 *
 * ```js
 * // the child side, at the bottom of a suite file:
 * serveChild(import.meta.url, child);
 * // the parent side, in the suite's run():
 * const { times, busy } = await measurePeers({ file: import.meta.url, name: 'kysely', peers, keys, size, repetitions, quietMs, log });
 * const ms = medianMs(times, 'wasmlite', 'point');
 * ```
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './repository.mjs';
import { withTempDir } from './temp-dir.mjs';
import { findOutcome, reportOutcome } from './child-protocol.mjs';
import { waitForQuiet } from './quiet.mjs';
import { geometricMean, median } from './stats.mjs';

/**
 * In a child: runs each workload named in `keys` once untimed (warm-up), then timed;
 * `{ [name]: { ms, check } }`. `run(name, phase)` returns the workload's check value.
 */
export async function timeWorkloads(workloads, keys, run) {
  const out = {};
  for (const [name] of workloads) {
    if (!keys.includes(name)) continue;
    await run(name, 'warm-up');
    const started = performance.now();
    const check = await run(name, 'timed');
    out[name] = { ms: performance.now() - started, check };
  }
  return out;
}

/**
 * When the suite file `moduleUrl` is run as a script (a child of {@link measurePeers}): runs
 * `child(spec)` on the JSON spec in argv and prints `@@result {json}` or `@@error {json}`.
 */
export async function serveChild(moduleUrl, child) {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  await reportOutcome(() => child(JSON.parse(process.argv[2])));
}

function runChild(moduleUrl, name, spec) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(moduleUrl), JSON.stringify(spec)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('error', reject);
    proc.on('exit', () => {
      const outcome = findOutcome(out);
      if (outcome?.kind === 'result') resolve(outcome.value);
      else reject(new Error(`${name} bench child (${spec.peer}) failed: ${outcome ? outcome.value.stack : out}`));
    });
  });
}

/**
 * Runs the suite's child once per peer and repetition, in a fresh temp dir each time, the peers'
 * order rotating between repetitions so that drift hits every peer alike, each run once the
 * machine is idle (up to `quietMs`). Resolves with `times[peer][key]` = the children's
 * `{ ms, check }` for each of `keys`, and the runs that started on a busy machine.
 */
export async function measurePeers({ file, name, peers, keys, size, repetitions, quietMs, log }) {
  const times = Object.fromEntries(peers.map((p) => [p, Object.fromEntries(keys.map((k) => [k, []]))]));
  const busy = [];
  for (let rep = 0; rep < repetitions; rep++) {
    for (const peer of peers.map((_, i) => peers[(i + rep) % peers.length])) {
      const quiet = await waitForQuiet(quietMs);
      if (quiet.busy) busy.push(`${peer} rep ${rep + 1}`);
      const result = await withTempDir(name, (dir) => runChild(file, name, { peer, dir, size, keys }));
      for (const k of keys) times[peer][k].push(result[k]);
    }
    log(`repetition ${rep + 1}/${repetitions} done`);
  }
  return { times, busy };
}

/** The median time of `key` for `peer`. */
export function medianMs(times, peer, key) {
  return median(times[peer][key].map((t) => t.ms));
}

/** Throws unless every run of every peer gave `key` the same check value (`what`: "drivers", "dialects"…). */
export function checkAgreement(times, peers, key, what) {
  const checks = new Set(peers.flatMap((p) => times[p][key].map((t) => t.check)));
  if (checks.size !== 1) throw new Error(`${key}: the ${what} disagree on the result (${[...checks].join(' vs ')})`);
}

/** The note under a suite's table when some runs started on a busy machine, else ''. */
export function busyNote(busy) {
  return busy.length > 0 ? `\nThe machine was busy when these started: ${busy.join(', ')}.\n` : '';
}

/**
 * The workloads `--cases` names (all of them without it); an Error lists the names when one is
 * unknown.
 * @template {readonly [string, ...unknown[]]} W
 * @param {W[]} workloads
 * @param {string[] | undefined} cases
 */
export function chosenWorkloads(workloads, cases) {
  if (cases === undefined) return workloads;
  const names = workloads.map(([w]) => w);
  const unknown = cases.filter((c) => !names.includes(c));
  if (unknown.length > 0) throw new Error(`unknown case(s) ${unknown.join(', ')}; there are: ${names.join(', ')}`);
  return workloads.filter(([w]) => cases.includes(w));
}

/**
 * The people and pets an ORM suite fills its tables with, `chunk` rows at a time (one multi-row
 * insert each): person `id` is named `person ${id}`, is `id % 90` years old and lives in
 * `city ${id % 50}`; pet `id` belongs to person `id` (the key named `ownerKey`) and is a cat, a
 * dog or a hamster.
 * @param {number} rows
 * @param {{ ownerKey?: string, chunk?: number }} [options]
 */
export function* peopleAndPets(rows, { ownerKey = 'ownerId', chunk = 500 } = {}) {
  for (let first = 1; first <= rows; first += chunk) {
    const people = [];
    const pets = [];
    for (let id = first; id < first + chunk && id <= rows; id++) {
      people.push({ id, name: `person ${id}`, age: id % 90, city: `city ${id % 50}` });
      pets.push({ id, [ownerKey]: id, species: ['cat', 'dog', 'hamster'][id % 3] });
    }
    yield { people, pets };
  }
}

/**
 * The table rows of a suite that compares wasmlite with better-sqlite3 alone (Kysely, Prisma):
 * each workload's median on both, checked to agree (`what`: "dialects", "adapters"), and the
 * ratio; with the geometric mean of the ratios and the worst one.
 * @param {Record<string, Record<string, Array<{ ms: number, check: unknown }>>>} times
 * @param {ReadonlyArray<readonly [string, string]>} workloads  [name, what it does]
 * @param {string} what
 */
export function ratioRows(times, workloads, what) {
  const peers = ['better-sqlite3', 'wasmlite'];
  const rows = [];
  const ratios = [];
  for (const [w, description] of workloads) {
    checkAgreement(times, peers, w, what);
    const [base, ours] = peers.map((p) => medianMs(times, p, w));
    ratios.push(ours / base);
    rows.push(`| ${w} | ${description} | ${base.toFixed(1)} | ${ours.toFixed(1)} | ${(ours / base).toFixed(2)}× |`);
  }
  const worst = Math.max(...ratios);
  return { rows, geomean: geometricMean(ratios), worst, worstName: workloads[ratios.indexOf(worst)][0] };
}

/**
 * The two targets of such a suite: `subject` on wasmlite within `limit`× of `subject` on
 * better-sqlite3, as the geometric mean and on every workload.
 * @param {string} subject
 * @param {number} limit
 * @param {{ geomean: number, worst: number, worstName: string }} summary
 * @returns {Array<[string, string, boolean]>}
 */
export function ratioTargets(subject, limit, { geomean, worst, worstName }) {
  return [
    [
      `${subject} on wasmlite within ${limit}× of ${subject} on better-sqlite3 (geometric mean of the workloads)`,
      `${geomean.toFixed(2)}×`,
      geomean <= limit,
    ],
    ['… and on every workload (worst)', `${worst.toFixed(2)}× (${worstName})`, worst <= limit],
  ];
}
