/**
 * One page of a {@link WalCommit}: its number (from 1) and its full contents after the commit.
 *
 * @example
 * const page: CommitPage = { pgno: 1, data }; // data.length === commit.pageSize
 */
export interface CommitPage {
  readonly pgno: number;
  readonly data: Uint8Array;
}

/**
 * What one committed write transaction changed, as the VFS saw it in the WAL: the final image of
 * every page the transaction wrote (a page written several times, e.g. spilled and then changed
 * again, appears once, with its last contents), ascending by `pgno`, none beyond
 * `commitPageCount`. Pages are copies owned by the observer.
 *
 * Applying it to the database as it was before the transaction means writing each page at
 * `(pgno - 1) × pageSize` and setting the size to `commitPageCount × pageSize`; pages of a growth
 * that are not listed read as zeros.
 *
 * @example
 * // { pageSize: 4096, commitPageCount: 3, pages: [{ pgno: 1, data }, { pgno: 3, data }] }
 */
export interface WalCommit {
  /** The page size in bytes (from the WAL header). */
  readonly pageSize: number;
  /** The database size in pages after the commit (the commit frame's "database size" field). */
  readonly commitPageCount: number;
  /** The pages the transaction wrote, ascending and unique. */
  readonly pages: readonly CommitPage[];
}

/**
 * Sees every transaction committed to one database, at the VFS: attach one with
 * {@link SqliteVfs.observe} before the database is opened. Declared here, where it is used;
 * replication implements it (`WalCapture` turns each commit into a log record).
 *
 * Only WAL mode is observed, with `locking_mode=NORMAL`: the VFS reads the commit from the frames
 * SQLite writes to the `-wal` file, and the transaction's boundaries from the WAL write lock. So
 * that no commit escapes it, an observed database cannot leave WAL mode: the write of a page 1
 * that says rollback-journal mode fails with `SQLITE_IOERR_WRITE` (`PRAGMA journal_mode = DELETE`
 * answers `delete` but the database stays in WAL mode), and a write in `locking_mode=EXCLUSIVE`
 * (which takes no WAL locks to follow) fails the same way. A database opened in a rollback
 * journal mode commits nothing the observer sees until it is switched to WAL.
 *
 * Checkpoints, rollbacks, read transactions and statement journals produce nothing. A transaction
 * whose changes a `ROLLBACK TO` undid is still committed by SQLite, with the restored pages
 * unchanged (and page 1's change counter bumped when page 1 is among them).
 *
 * @example
 * const stop = vfs.observe('/srv/app.db', {
 *   commit(c) { log.append(toRecord(c)); },   // durable before SQLite's COMMIT returns
 *   commitFailed(c) { stopAcceptingWrites(); },
 * });
 */
export interface CommitObserver {
  /**
   * Called once per committed transaction, synchronously, from inside SQLite's write of the
   * commit frame and *before* that frame reaches the WAL file: when it returns, SQLite finishes
   * the commit; the user's `COMMIT` has not returned yet.
   *
   * Throwing refuses the commit: the commit frame is not written (a crash or reopen can never
   * bring the transaction back from the WAL), the write fails with `SQLITE_IOERR_WRITE` keeping
   * the thrown error as the cause (`SQLITE_FULL` if the error's `code` is `ENOSPC` or `EDQUOT`:
   * the observer's own storage is full), and SQLite rolls the whole transaction back. Must not call
   * back into SQLite.
   */
  commit(commit: WalCommit): void;
  /**
   * Called when SQLite did not complete a commit that {@link commit} accepted (writing or
   * syncing the commit frame failed, or the wal-index could not be updated): the transaction is
   * not in the database this process sees, although the observer was shown it. After a crash
   * WAL recovery may or may not find it, depending on what reached the disk. Must not throw
   * (what it throws is ignored) and must not call back into SQLite.
   */
  commitFailed?(commit: WalCommit): void;
}
