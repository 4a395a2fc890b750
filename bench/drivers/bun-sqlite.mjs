/**
 * `bun:sqlite`, the SQLite built into Bun (native code inside Bun itself). The runner starts its
 * children on the npm-installed Bun (test/runtimes) and measures wasmlite on that same Bun next to
 * it. Its API is close to better-sqlite3's: positional parameters, object rows, `transaction(fn)`.
 */
import { directConnection, firstValue } from './direct-connection.mjs';

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'bun:sqlite',
  pkg: 'bun:sqlite',
  runtime: 'bun',
  files: true,
  async open(file) {
    const { Database } = await import('bun:sqlite');
    const db = new Database(file);
    /** @param {string} text */
    const pragma = (text) => firstValue(db.prepare(`PRAGMA ${text}`).get());
    if (file !== ':memory:') pragma('journal_mode = WAL');
    return directConnection(db, { pragma, transaction: (fn) => db.transaction(/** @type {any} */ (fn)) });
  },
};
