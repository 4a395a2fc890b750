/**
 * `bun:sqlite`, the SQLite built into Bun (native code inside Bun itself). The runner starts its
 * children on the npm-installed Bun (test/runtimes) and measures wasmlite on that same Bun next to
 * it. Its API is close to better-sqlite3's: positional parameters, object rows, `transaction(fn)`.
 */

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'bun:sqlite',
  pkg: 'bun:sqlite',
  runtime: 'bun',
  files: true,
  async open(file) {
    const { Database } = await import('bun:sqlite');
    const db = new Database(file);
    const pragma = (text) => {
      const row = db.prepare(`PRAGMA ${text}`).get();
      return row == null ? undefined : Object.values(row)[0];
    };
    if (file !== ':memory:') pragma('journal_mode = WAL');
    return {
      exec: (sql) => db.exec(sql),
      pragma,
      prepare: (sql) => db.prepare(sql),
      transaction: (fn) => db.transaction(fn),
      close: () => db.close(),
    };
  },
};
