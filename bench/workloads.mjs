/**
 * The benchmark workloads. Each one runs in a fresh child process (see `child.mjs`) against one
 * driver adapter and returns its time plus a checksum of the values it read or wrote. `expect(p)`
 * computes the same checksum from the data generator alone, so a driver cannot win by doing less.
 *
 * Every workload first does the same work once untimed, on other ids or another table: the timed
 * pass then measures steady state, after the JIT and V8's WebAssembly tier-up (the first ~100 ms
 * of WebAssembly run in baseline code). Cold start is measured on its own.
 *
 * ```js
 * const result = await workloads.point.run(conn, params); // { ms, check }
 * result.check === workloads.point.expect(params);         // else the runner shouts MISMATCH
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import { bodyLength, BIG_ROW_BYTES, PAGE_SIZE } from './fixtures.mjs';

/**
 * What a workload needs from a driver; each file in `drivers/` translates one library to it.
 * Statement methods take positional parameters like better-sqlite3's. Adapters load their library
 * in `open`, so the runner can import them for their metadata without paying for it.
 *
 * @typedef {object} Driver
 * @property {string} name
 * @property {string} pkg         the npm package measured
 * @property {boolean} files      whether it can open a file database in Node
 * @property {string} [runtime]   a runtime of test/runtimes (`node24`, `bun`) its children must run on
 * @property {(file: string) => Promise<Connection>} open
 *   `':memory:'` or a file path; files are opened in WAL mode
 *
 * @typedef {object} Connection
 * @property {(sql: string) => void} exec
 * @property {(text: string) => unknown} pragma  runs `PRAGMA text`; the first value of the first row
 * @property {(sql: string) => Statement} prepare
 * @property {(fn: Function) => Function} transaction  wraps `fn` in BEGIN/COMMIT, as better-sqlite3 does
 * @property {() => void} close
 *
 * @typedef {object} Statement
 * @property {(...params: unknown[]) => any} get   the first row as an object
 * @property {(...params: unknown[]) => any[]} all  every row as an object
 * @property {(...params: unknown[]) => unknown} run
 *
 * @typedef {object} Params
 * @property {string} mode         a workload mode: memory, file, full, normal, …
 * @property {string} [file]       the database path for file modes
 * @property {string} [dir]        a private temp directory for native baselines
 * @property {number} rows         rows in the users table
 * @property {number} ops          point selects, cache-miss queries or native reads
 * @property {number} scans        range scans of 1000 rows
 * @property {number} autocommits  single-row transactions
 * @property {import('./fixtures.mjs').Fixture} [fixture]  a prebuilt file database
 *
 * @typedef {object} Result
 * @property {number} ms
 * @property {string} check
 * @property {Record<string, number>} [metrics]
 * @property {string} [sqlite]     added by child.mjs: what the driver reports
 * @property {number} [pageSize]
 * @property {number} [cacheSize]
 * @property {string} [journal]
 */

const SEED = 0x5eed;
const SPAN = 1000;

const createUsers = (table) =>
  `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, score REAL)`;
const insertUser = (table) => `INSERT INTO ${table} VALUES (?, ?, ?, ?, ?)`;
const SUM_USERS = `SELECT count(*) AS rows, sum(id + age) AS ints,
  sum(length(name) + length(email)) AS chars, sum(score) AS score FROM users`;

/** Row `id` of the users table; scores are multiples of 1/8 so that every sum is exact. */
function user(id) {
  return { id, name: `name ${id}`, email: `user${id}@example.com`, age: 18 + ((id * 7) % 60), score: (id % 1000) / 8 };
}

/** mulberry32: a tiny fixed-seed PRNG, so every driver sees the same "random" ids. */
function randomInts(count, lo, hi, seed) {
  const out = new Int32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo + 1));
  }
  return out;
}

/** Folds user rows into a string; a missing row or a wrong column shows up as a mismatch. */
class UserSum {
  rows = 0;
  ints = 0;
  chars = 0;
  score = 0;

  add(row) {
    this.rows++;
    this.ints += row.id + row.age;
    this.chars += row.name.length + row.email.length;
    this.score += row.score;
  }

  static of(rows) {
    const sum = new UserSum();
    for (const row of rows) sum.add(row);
    return sum.toString();
  }

  toString() {
    return `rows=${this.rows} ints=${this.ints} chars=${this.chars} score=${this.score}`;
  }
}

function* users(ids) {
  for (const id of ids) yield user(id);
}

function* range(lo, hi) {
  for (let id = lo; id <= hi; id++) yield id;
}

/** The users table summed by SQLite itself, formatted like {@link UserSum}. */
function sumTable(conn) {
  const s = conn.prepare(SUM_USERS).get();
  return `rows=${s.rows} ints=${s.ints ?? 0} chars=${s.chars ?? 0} score=${s.score ?? 0}`;
}

/**
 * Users 1..n as row objects.
 * @param {number} n
 */
function usersUpTo(n) {
  return Array.from({ length: n }, (_, i) => user(i + 1));
}

/**
 * Creates `table` and inserts `rows` in one transaction; returns the milliseconds it took.
 * @param {Connection} conn
 * @param {ReturnType<typeof usersUpTo>} rows
 */
function insertUsers(conn, rows, table = 'users') {
  conn.exec(createUsers(table));
  const insert = conn.prepare(insertUser(table));
  const insertAll = conn.transaction(() => {
    for (const r of rows) insert.run(r.id, r.name, r.email, r.age, r.score);
  });
  const t0 = performance.now();
  insertAll();
  return performance.now() - t0;
}

/**
 * The prebuilt file a workload runs on (the runner gives one to the workloads that need it).
 * @param {Params} p
 */
function fixtureOf(p) {
  if (p.fixture === undefined) throw new Error('this workload needs a prebuilt file (params.fixture)');
  return p.fixture;
}

/**
 * The private temp directory of a native baseline (the runner gives one to each).
 * @param {Params} p
 */
function dirOf(p) {
  if (p.dir === undefined) throw new Error('this baseline needs a temp directory (params.dir)');
  return p.dir;
}

/** How many rows of the cache-miss file fill its first 1 MiB of pages. */
function nearRows(fixture) {
  return Math.floor((fixture.rows * (2 ** 20 / PAGE_SIZE)) / fixture.pages);
}

/** The read syscalls (pread included) this process has made so far, from /proc/self/io. */
function readSyscalls() {
  return Number(/syscr:\s*(\d+)/.exec(fs.readFileSync('/proc/self/io', 'latin1'))?.[1]);
}

/** Counts the read syscalls `fn` makes, less those of reading /proc itself. */
function countReads(fn) {
  const overhead = -readSyscalls() + readSyscalls();
  const before = readSyscalls();
  const value = fn();
  return { value, reads: readSyscalls() - before - overhead };
}

/** @type {Record<string, { title: (p: Params) => string, modes: string[], files?: boolean,
 *   run: (conn: Connection, p: Params) => Result, expect: (p: Params) => string,
 *   native?: { name: string, modes: string[], run: (p: Params) => Result, expect: (p: Params) => string } }>} */
export const workloads = {
  point: {
    title: (p) => `${p.ops.toLocaleString('en')} point selects by primary key (object rows)`,
    modes: ['memory', 'file'],
    run(conn, p) {
      if (p.file) conn.pragma('synchronous = NORMAL');
      insertUsers(conn, usersUpTo(p.rows));
      const ids = randomInts(p.ops, 1, p.rows, SEED);
      const select = conn.prepare('SELECT * FROM users WHERE id = ?');
      for (const id of randomInts(p.ops, 1, p.rows, SEED + 10)) select.get(id);
      const sum = new UserSum();
      const t0 = performance.now();
      for (let i = 0; i < ids.length; i++) sum.add(select.get(ids[i]));
      return { ms: performance.now() - t0, check: sum.toString() };
    },
    expect: (p) => UserSum.of(users(randomInts(p.ops, 1, p.rows, SEED))),
  },

  range: {
    title: (p) => `${p.scans} range scans of ${SPAN} rows (object rows)`,
    modes: ['memory', 'file'],
    run(conn, p) {
      if (p.file) conn.pragma('synchronous = NORMAL');
      insertUsers(conn, usersUpTo(p.rows));
      const starts = randomInts(p.scans, 1, p.rows - SPAN + 1, SEED + 1);
      const select = conn.prepare(`SELECT * FROM users WHERE id BETWEEN ? AND ? + ${SPAN - 1}`);
      for (const lo of randomInts(p.scans, 1, p.rows - SPAN + 1, SEED + 11)) select.all(lo, lo);
      const sum = new UserSum();
      const t0 = performance.now();
      for (let i = 0; i < starts.length; i++) {
        const rows = select.all(starts[i], starts[i]);
        for (let j = 0; j < rows.length; j++) sum.add(rows[j]);
      }
      return { ms: performance.now() - t0, check: sum.toString() };
    },
    expect(p) {
      const sum = new UserSum();
      for (const lo of randomInts(p.scans, 1, p.rows - SPAN + 1, SEED + 1)) {
        for (const row of users(range(lo, lo + SPAN - 1))) sum.add(row);
      }
      return sum.toString();
    },
  },

  bulk: {
    title: (p) => `${p.rows.toLocaleString('en')} inserts in one transaction`,
    modes: ['memory', 'file'],
    run(conn, p) {
      if (p.file) conn.pragma('synchronous = NORMAL');
      // One set of rows for both passes: rows made just before the timed pass are still in V8's
      // young generation, and the scavenges that copy them landed in the timed pass or not
      // depending on what the process had allocated before (it moved a wasmlite figure by 20%).
      const rows = usersUpTo(p.rows);
      insertUsers(conn, rows, 'warmup');
      const ms = insertUsers(conn, rows);
      return { ms, check: sumTable(conn) };
    },
    expect: (p) => UserSum.of(users(range(1, p.rows))),
  },

  autocommit: {
    title: (p) => `${p.autocommits.toLocaleString('en')} autocommit inserts (file, WAL)`,
    modes: ['full', 'normal'],
    files: true,
    run(conn, p) {
      conn.pragma(`synchronous = ${p.mode.toUpperCase()}`);
      const rows = usersUpTo(p.autocommits);
      const insertEach = (table) => {
        conn.exec(createUsers(table));
        const insert = conn.prepare(insertUser(table));
        const t0 = performance.now();
        for (const r of rows) insert.run(r.id, r.name, r.email, r.age, r.score);
        return performance.now() - t0;
      };
      insertEach('warmup');
      return { ms: insertEach('users'), check: sumTable(conn) };
    },
    expect: (p) => UserSum.of(users(range(1, p.autocommits))),
    native: {
      name: 'fs.writeSync + fs.fsyncSync, 4 KiB (disk floor)',
      modes: ['full'],
      run(p) {
        const file = path.join(dirOf(p), 'fsync.bin');
        const fd = fs.openSync(file, 'w');
        const page = Buffer.alloc(PAGE_SIZE, 7);
        // The warm-up pass also extends the file, so the timed pass overwrites in place as a
        // reused WAL does: no size change to journal on every sync.
        const pass = () => {
          const t0 = performance.now();
          for (let i = 0; i < p.autocommits; i++) {
            fs.writeSync(fd, page, 0, PAGE_SIZE, i * PAGE_SIZE);
            fs.fsyncSync(fd);
          }
          return performance.now() - t0;
        };
        pass();
        const ms = pass();
        const bytes = fs.fstatSync(fd).size;
        fs.closeSync(fd);
        return { ms, check: `bytes=${bytes}` };
      },
      expect: (p) => `bytes=${p.autocommits * PAGE_SIZE}`,
    },
  },

  cachemiss: {
    title: (p) => `${p.ops.toLocaleString('en')} point selects on a ${fixtureOf(p).size} file with a 2 MB page cache`,
    modes: ['file'],
    files: true,
    run(conn, p) {
      const select = conn.prepare('SELECT id, length(body) AS n FROM pages WHERE id = ?');
      const pass = (ids) => {
        let sum = 0;
        const t0 = performance.now();
        for (let i = 0; i < ids.length; i++) {
          const row = select.get(ids[i]);
          sum += row.id + row.n;
        }
        return { ms: performance.now() - t0, sum };
      };
      conn.pragma('cache_size = -2000');
      // The warm-up also loads the interior b-tree pages, which every query touches and which
      // stay cached, so that a query over the whole file misses about one leaf page.
      pass(randomInts(p.ops, 1, fixtureOf(p).rows, SEED + 3));
      const { value: cold, reads } = countReads(() => pass(randomInts(p.ops, 1, fixtureOf(p).rows, SEED + 2)));
      // The same queries confined to the first 1 MiB of rows all hit the same 2 MB cache.
      const near = randomInts(p.ops, 1, nearRows(fixtureOf(p)), SEED + 5);
      pass(near);
      const hot = pass(near);
      return {
        ms: cold.ms,
        check: `sum=${cold.sum} near=${hot.sum}`,
        metrics: {
          coldUs: (cold.ms * 1000) / p.ops,
          hotUs: (hot.ms * 1000) / p.ops,
          readsPerQuery: reads / p.ops,
          missUs: ((cold.ms - hot.ms) * 1000) / Math.max(reads, 1),
        },
      };
    },
    expect(p) {
      const sum = (ids) => ids.reduce((s, id) => s + id + bodyLength(id), 0);
      return `sum=${sum(randomInts(p.ops, 1, fixtureOf(p).rows, SEED + 2))} near=${sum(randomInts(p.ops, 1, nearRows(fixtureOf(p)), SEED + 5))}`;
    },
    native: {
      name: 'fs.readSync of random pages (native pread)',
      modes: ['file'],
      run(p) {
        const fd = fs.openSync(fixtureOf(p).file, 'r');
        const time = (size, count, seed) => {
          const buf = Buffer.alloc(size);
          const pages = randomInts(count, 0, Math.floor((fixtureOf(p).pages * PAGE_SIZE) / size) - 1, seed);
          let bytes = 0;
          const t0 = performance.now();
          for (let i = 0; i < pages.length; i++) bytes += fs.readSync(fd, buf, 0, size, pages[i] * size);
          return { ms: performance.now() - t0, bytes };
        };
        time(PAGE_SIZE, p.ops, SEED + 3);
        const page = time(PAGE_SIZE, p.ops, SEED + 4);
        const double = time(2 * PAGE_SIZE, p.ops, SEED + 5);
        fs.closeSync(fd);
        return {
          ms: page.ms,
          check: `bytes=${page.bytes + double.bytes}`,
          metrics: { readUs: (page.ms * 1000) / p.ops, read8kUs: (double.ms * 1000) / p.ops },
        };
      },
      expect: (p) => `bytes=${3 * PAGE_SIZE * p.ops}`,
    },
  },

  memory: {
    title: (p) => `full scan of a ${fixtureOf(p).size} file: SELECT count(*), sum(length(x))`,
    modes: ['file'],
    files: true,
    run(conn, p) {
      const t0 = performance.now();
      const row = conn.prepare('SELECT count(*) AS n, sum(length(x)) AS bytes FROM big').get();
      const ms = performance.now() - t0;
      return {
        ms,
        check: `rows=${row.n} bytes=${row.bytes}`,
        metrics: { maxRssMiB: process.resourceUsage().maxRSS / 1024 },
      };
    },
    expect: (p) => `rows=${fixtureOf(p).rows} bytes=${fixtureOf(p).rows * BIG_ROW_BYTES}`,
  },
};
