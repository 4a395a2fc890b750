/**
 * better-sqlite3, the native addon: the baseline every ratio is measured against. Its statements
 * already have the shape the workloads use, so they are handed out as they are.
 */
import { directConnection } from './direct-connection.mjs';

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'better-sqlite3',
  pkg: 'better-sqlite3',
  files: true,
  async open(file) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file);
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    return directConnection(db, {
      pragma: (text) => db.pragma(text, { simple: true }),
      transaction: (fn) => db.transaction(/** @type {any} */ (fn)),
    });
  },
};
