/**
 * `bun:sqlite`, the SQLite built into Bun (native code inside Bun itself). The runner starts its
 * children on the npm-installed Bun (test/runtimes) and measures wasmlite on that same Bun next to
 * it. Its API is close to better-sqlite3's: positional parameters, object rows, `transaction(fn)`.
 */
import { builtinConnection } from './builtin-connection.mjs';

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'bun:sqlite',
  pkg: 'bun:sqlite',
  runtime: 'bun',
  files: true,
  async open(file) {
    const { Database } = await import('bun:sqlite');
    const db = new Database(file);
    return builtinConnection(db, file, (fn) => db.transaction(fn));
  },
};
