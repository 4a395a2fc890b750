/**
 * Prebuilt file databases for the workloads that need more data than a driver can insert in a
 * reasonable time: the cache-miss file and the 1 GiB scan file. better-sqlite3 builds them once;
 * they are cached in the temp dir keyed by size and reused by later runs.
 *
 * ```js
 * const fixture = await cacheMissFixture(200); // { file, size: '200 MB', rows, pages }
 * ```
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The page size of every fixture; the native baselines read and write pages of this size. */
export const PAGE_SIZE = 4096;

/** Blob size of a row of the scan file: four rows fill a 4 KiB page, so no overflow pages. */
export const BIG_ROW_BYTES = 1000;

/** Blob size of row `id` of the cache-miss file (about ten rows per page). */
export function bodyLength(id) {
  return 300 + (id % 200);
}

const DIR = path.join(os.tmpdir(), 'wasmlite-bench-fixtures');
const VERSION = 1;

/**
 * @typedef {{ file: string, size: string, rows: number, pages: number }} Fixture
 */

/** The cache-miss file of about `mb` megabytes: `pages(id INTEGER PRIMARY KEY, body BLOB)`. */
export function cacheMissFixture(mb) {
  const rows = Math.round((mb * 1e6) / 410);
  return cached(`cachemiss-${mb}MB`, `${mb} MB`, rows, 'pages', 'randomblob(300 + i % 200)');
}

/** The scan file of `mib` MiB: `big(id INTEGER PRIMARY KEY, x BLOB)`, rows of 1000 bytes. */
export function bigFixture(mib) {
  return cached(`big-${mib}MiB`, `${mib} MiB`, mib * 1024, 'big', `randomblob(${BIG_ROW_BYTES})`);
}

async function cached(key, size, rows, table, blob) {
  fs.mkdirSync(DIR, { recursive: true });
  const file = path.join(DIR, `${key}-v${VERSION}.db`);
  const meta = `${file}.json`;
  if (!fs.existsSync(meta)) {
    const started = performance.now();
    process.stdout.write(`building ${file} … `);
    const pages = await build(`${file}.tmp`, rows, table, blob);
    fs.renameSync(`${file}.tmp`, file);
    fs.writeFileSync(meta, JSON.stringify({ rows, pages }));
    console.log(`${pages} pages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  warmOsCache(file);
  return { file, size, ...JSON.parse(fs.readFileSync(meta, 'utf8')) };
}

async function build(file, rows, table, blob) {
  const { default: Database } = await import('better-sqlite3');
  fs.rmSync(file, { force: true });
  const db = new Database(file);
  db.pragma(`page_size = ${PAGE_SIZE}`);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, ${table === 'big' ? 'x' : 'body'} BLOB)`);
  db.prepare(
    `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
     INSERT INTO ${table} SELECT i, ${blob} FROM c`,
  ).run(rows);
  db.pragma('journal_mode = WAL');
  const pages = db.pragma('page_count', { simple: true });
  db.close();
  return pages;
}

/**
 * Reads the whole file once so that every driver starts with it in the OS page cache: the
 * workloads measure SQLite's page cache missing, not the disk.
 */
function warmOsCache(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  fs.closeSync(fd);
}
