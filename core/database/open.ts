import { checkOpenArguments, Database, type OpenOptions } from './database.ts';

/**
 * Opens (or creates) a database file and returns a synchronous {@link Database}: the same as
 * `new Database(path, options)`, with failures as a rejected promise. Kept for code written when
 * the engine loaded asynchronously; new code can use the constructor.
 *
 * Files go through wasmlite's node:fs VFS: standard SQLite files, WAL by default, one owner
 * process per file (a second process gets `SQLITE_BUSY` naming the owner). `':memory:'` opens a
 * private in-memory database.
 *
 * Rejects with a TypeError for bad arguments, and a `SqliteError` if SQLite cannot open the file
 * (`SQLITE_CANTOPEN` with the Node error as `cause`, `SQLITE_NOTADB`, `SQLITE_BUSY`).
 *
 * @example
 * import { open } from 'wasmlite';
 * const db = await open('app.db');
 * const row = db.prepare('SELECT sqlite_version() AS v').get(); // { v: '3.54.1' }
 */
export async function open(path: string, options: OpenOptions = {}): Promise<Database> {
  checkOpenArguments(path, options);
  return new Database(path, options);
}
