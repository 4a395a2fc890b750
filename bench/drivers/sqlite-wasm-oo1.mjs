/**
 * The official build's `oo1` API (`@sqlite.org/sqlite-wasm`). In Node it has no persistent VFS,
 * so the runner skips its file modes. Statements go through bind/step/get({})/reset, the fastest
 * path oo1 offers for a reused statement.
 */

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'sqlite-wasm oo1',
  pkg: '@sqlite.org/sqlite-wasm',
  files: false,
  async open(file) {
    if (file !== ':memory:') throw new Error('oo1 has no file databases in Node');
    const sqlite3 = await (await import('@sqlite.org/sqlite-wasm')).default();
    const db = new sqlite3.oo1.DB(':memory:');
    return {
      exec: (sql) => db.exec(sql),
      pragma: (text) => db.selectValue(`PRAGMA ${text}`),
      prepare(sql) {
        const stmt = db.prepare(sql);
        return {
          get(...params) {
            if (params.length > 0) stmt.bind(/** @type {any} */ (params));
            const row = stmt.step() ? stmt.get({}) : undefined;
            stmt.reset();
            return row;
          },
          all(...params) {
            if (params.length > 0) stmt.bind(/** @type {any} */ (params));
            const rows = [];
            while (stmt.step()) rows.push(stmt.get({}));
            stmt.reset();
            return rows;
          },
          run(...params) {
            if (params.length > 0) stmt.bind(/** @type {any} */ (params));
            stmt.stepReset();
          },
        };
      },
      transaction:
        (fn) =>
        (...args) =>
          db.transaction(() => fn(...args)),
      close: () => db.close(),
    };
  },
};
