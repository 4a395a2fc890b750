/**
 * wasmlite, the library under test. Its API is better-sqlite3's, so statements are handed out as
 * they are. The runner bundles `core/index.ts` to `bench/.build/wasmlite.mjs` first (as a
 * published build would be), which keeps a TypeScript loader out of the timings. The driver itself
 * imports only the connection shape it shares with better-sqlite3's driver (no Node module: an
 * ESM import of node:fs alone costs ~2 ms of the cold start, which is the library's to pay or not).
 */

import { directConnection, firstValue } from './direct-connection.mjs';

const entry = new URL('../.build/wasmlite.mjs', import.meta.url);

/** @type {import('../workloads.mjs').Driver} */
export default {
  name: 'wasmlite',
  pkg: 'wasmlite',
  files: true,
  async open(file) {
    let Database;
    try {
      ({ default: Database } = await import(entry.href));
    } catch (error) {
      if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('wasmlite.mjs')) {
        throw new Error('wasmlite: not available yet (no bench/.build/wasmlite.mjs)');
      }
      throw error;
    }
    const db = new Database(file, file === ':memory:' ? {} : { journalMode: 'wal' });
    return directConnection(db, {
      pragma: (text) => {
        const rows = db.pragma(text);
        return Array.isArray(rows) ? firstValue(rows[0]) : rows;
      },
      transaction: (fn) => db.transaction(fn),
    });
  },
};
