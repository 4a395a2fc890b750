/**
 * sql.js: SQLite in WebAssembly over an in-memory image; in Node it has no file access, so the
 * runner skips its file modes. Rows come from `getAsObject`, its idiomatic object-row path.
 */
import { createRequire } from 'node:module';
import { sqlTransaction } from './sql-transaction.mjs';

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'sql.js',
  pkg: 'sql.js',
  files: false,
  async open(file) {
    if (file !== ':memory:') throw new Error('sql.js has no file databases in Node');
    const SQL = await createRequire(import.meta.url)('sql.js')();
    const db = new SQL.Database();
    return {
      exec: (sql) => db.exec(sql),
      pragma: (text) => db.exec(`PRAGMA ${text}`)[0]?.values[0][0],
      prepare(sql) {
        const stmt = db.prepare(sql);
        return {
          get: (...params) => (stmt.bind(params) && stmt.step() ? stmt.getAsObject() : undefined),
          all(...params) {
            stmt.bind(params);
            const rows = [];
            while (stmt.step()) rows.push(stmt.getAsObject());
            return rows;
          },
          run: (...params) => stmt.run(params),
        };
      },
      transaction: (fn) => sqlTransaction((sql) => db.exec(sql), fn),
      close: () => db.close(),
    };
  },
};
