/**
 * node-sqlite3-wasm: SQLite in WebAssembly with its own Node fs VFS. Its statements take their
 * parameters as one array and must be finalized before the database closes.
 *
 * Its VFS has no shared memory, so WAL needs `locking_mode = EXCLUSIVE` (the wal-index then lives
 * in heap memory). That also spares it the per-transaction file locks the others take.
 */
import { createRequire } from 'node:module';
import { firstValue } from './direct-connection.mjs';
import { sqlTransaction } from './sql-transaction.mjs';

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'node-sqlite3-wasm',
  pkg: 'node-sqlite3-wasm',
  files: true,
  async open(file) {
    const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm');
    const db = new Database(file);
    const statements = [];
    const pragma = (text) => firstValue(db.get(`PRAGMA ${text}`));
    if (file !== ':memory:') {
      pragma('locking_mode = EXCLUSIVE');
      pragma('journal_mode = WAL');
    }
    return {
      exec: (sql) => db.exec(sql),
      pragma,
      prepare(sql) {
        const stmt = db.prepare(sql);
        statements.push(stmt);
        return {
          get: (...params) => stmt.get(params),
          all: (...params) => stmt.all(params),
          run: (...params) => stmt.run(params),
        };
      },
      transaction: (fn) => sqlTransaction((sql) => db.exec(sql), fn),
      close() {
        for (const stmt of statements) stmt.finalize();
        db.close();
      },
    };
  },
};
