import { loadEngine } from '../sqlite3/engine.ts';
import { defaultVfs } from '../vfs/index.ts';
import { checkOpenArguments, Database, type OpenOptions } from './database.ts';

/**
 * Opens (or creates) a database file and returns a synchronous {@link Database}.
 *
 * Async only because the WebAssembly engine instantiates asynchronously, once per process;
 * every call on the returned database is synchronous. Files go through wasmlite's node:fs VFS:
 * standard SQLite files, WAL by default, one owner process per file (a second process gets
 * `SQLITE_BUSY` naming the owner). `':memory:'` opens a private in-memory database.
 *
 * Fails with a TypeError for bad arguments, and a `SqliteError` if SQLite cannot open the file
 * (`SQLITE_CANTOPEN` with the Node error as `cause`, `SQLITE_NOTADB`, `SQLITE_BUSY`).
 *
 * @example
 * import { open } from 'wasmlite';
 * const db = await open('app.db');
 * const row = db.prepare('SELECT sqlite_version() AS v').get(); // { v: '3.54.1' }
 */
export async function open(path: string, options: OpenOptions = {}): Promise<Database> {
  checkOpenArguments(path, options);
  const engine = await loadEngine();
  const vfs = options.vfs ?? defaultVfs(engine).name;
  return new Database(engine, path, options, vfs);
}
