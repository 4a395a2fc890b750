import { FileLock } from './file-lock.ts';

/**
 * The {@link FileLock}s of the database files open in this thread, by canonical path: every
 * connection to a file, through any VFS sharing the table, gets the same lock. A lock lives
 * while a file refers to it.
 *
 * @example
 * const table = new LockTable();
 * const lock = table.attach('/app.db'); // the same object for every attach of '/app.db'
 * table.detach(lock);
 */
export class LockTable {
  readonly #locks = new Map<string, FileLock>();

  /** The lock of `path`, counted as one more user. */
  attach(path: string): FileLock {
    let lock = this.#locks.get(path);
    if (lock === undefined) {
      lock = new FileLock(path);
      this.#locks.set(path, lock);
    }
    lock.refs++;
    return lock;
  }

  /** Whether a file at `path` refers to its lock, i.e. the database is open. */
  has(path: string): boolean {
    return this.#locks.has(path);
  }

  /** Drops one user of `lock`; the last one removes it from the table. */
  detach(lock: FileLock): void {
    if (--lock.refs === 0 && this.#locks.get(lock.path) === lock) this.#locks.delete(lock.path);
  }
}
