/**
 * `node:sqlite`, the SQLite built into Node 22.5 and later (native code inside Node itself). The
 * runner starts its children on the npm-installed Node 24 (test/runtimes), since the benchmarks'
 * own Node is 20, and measures wasmlite on that same Node next to it. Statements already take
 * positional parameters and return object rows; it has no transaction helper.
 */
import { directConnection, firstValue } from './direct-connection.mjs';
import { sqlTransaction } from './sql-transaction.mjs';

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'node:sqlite',
  pkg: 'node:sqlite',
  runtime: 'node24',
  files: true,
  async open(file) {
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(file);
    /** @param {string} text */
    const pragma = (text) => firstValue(db.prepare(`PRAGMA ${text}`).get());
    if (file !== ':memory:') pragma('journal_mode = WAL');
    return directConnection(db, { pragma, transaction: (fn) => sqlTransaction((sql) => db.exec(sql), fn) });
  },
};
