/**
 * One measurement in a fresh process, started by the runner:
 *
 * ```sh
 * node bench/child.mjs '{"driver":"wasmlite","workload":"point","params":{"mode":"memory",…}}'
 * ```
 *
 * Prints a single line `@@result {json}` (or `@@error {json}`) and exits. The runner kills a child
 * that lingers after its result: node-sqlite3-wasm sometimes hangs at exit on Node 20.
 */
import { reportOutcome } from './child-protocol.mjs';

const spec = JSON.parse(process.argv[2]);

async function coldStart() {
  if (spec.driver === 'node') return { ms: 0, check: 'x=1' };
  const { default: driver } = await import(`./drivers/${spec.driver}.mjs`);
  const conn = await driver.open(':memory:');
  const row = conn.prepare('SELECT 1 AS x').get();
  return { ms: 0, check: `x=${row.x}` };
}

async function measure() {
  const { workloads } = await import('./workloads.mjs');
  const workload = workloads[spec.workload];
  const params = spec.params;
  if (spec.driver === 'fs') {
    if (!workload.native) throw new Error(`${spec.workload} has no native baseline`);
    return workload.native.run(params);
  }

  const { default: driver } = await import(`./drivers/${spec.driver}.mjs`);
  const conn = await driver.open(params.file ?? ':memory:');
  try {
    const result = workload.run(conn, params);
    result.sqlite = conn.prepare('SELECT sqlite_version() AS v').get().v;
    result.pageSize = Number(conn.pragma('page_size'));
    result.cacheSize = Number(conn.pragma('cache_size'));
    if (params.file) result.journal = String(conn.pragma('journal_mode'));
    return result;
  } finally {
    conn.close();
  }
}

await reportOutcome(() => (spec.workload === 'coldstart' ? coldStart() : measure()));
