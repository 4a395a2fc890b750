import type { Engine } from '../sqlite3/engine.ts';
import {
  SQLITE_IOERR_DIR_FSYNC,
  SQLITE_IOERR_FSTAT,
  SQLITE_IOERR_FSYNC,
  SQLITE_IOERR_READ,
  SQLITE_IOERR_SHORT_READ,
  SQLITE_IOERR_TRUNCATE,
  SQLITE_IOERR_WRITE,
  SQLITE_LOCK_NONE,
  SQLITE_OK,
  SQLITE_SYNC_DATAONLY,
  SQLITE_BUSY,
} from '../sqlite3/constants.ts';
import type { FileLock, LockHolder } from './file-lock.ts';
import type { FileHandle, Filesystem } from './filesystem.ts';
import { clearVfsError, isIgnorableDirectorySyncError, vfsFailure } from './vfs-error.ts';
import type { WalCommitTracker } from './wal-commit-tracker.ts';
import type { WalIndexConnection } from './wal-index.ts';

/**
 * One file SQLite has open through a {@link SqliteVfs} (one `sqlite3_file*`): its handle, its
 * lock level and, for a database file, the shared lock and wal-index. Each method is the body of
 * one of SQLite's `xRead`, `xWrite`, … methods: it never throws, it returns the result code and
 * keeps the cause of a failure for {@link takeVfsError}.
 *
 * @example
 * const rc = file.read(pDest, 4096, 0n); // SQLITE_OK, or SQLITE_IOERR_SHORT_READ past the end
 */
export class OpenFile implements LockHolder {
  /** The canonical path; `null` for an anonymous temporary file. */
  readonly path: string | null;
  /** SQLite's open flags as granted (`SQLITE_OPEN_READONLY` after a read-only fallback). */
  readonly flags: number;
  readonly handle: FileHandle;
  /** The database file's lock shared with the other connections; `null` for other files. */
  readonly lock: FileLock | null;
  /** Whether this file counts in the process's ownership of the database file. */
  readonly owned: boolean;
  /** For the database file of an observed database: where its WAL write lock is reported. */
  readonly commitTracker: WalCommitTracker | null;
  lockLevel = SQLITE_LOCK_NONE;
  walIndex: WalIndexConnection | null = null;
  readonly #engine: Engine;
  readonly #filesystem: Filesystem;
  // A created journal or WAL is only durable once its directory entry is (os_unix.c's UNIXFILE_DIRSYNC).
  #syncDirectory: boolean;

  constructor(
    engine: Engine,
    filesystem: Filesystem,
    path: string | null,
    flags: number,
    handle: FileHandle,
    options: {
      lock?: FileLock | null;
      owned?: boolean;
      syncDirectory?: boolean;
      commitTracker?: WalCommitTracker | null;
    } = {},
  ) {
    this.#engine = engine;
    this.#filesystem = filesystem;
    this.path = path;
    this.flags = flags;
    this.handle = handle;
    this.lock = options.lock ?? null;
    this.owned = options.owned ?? false;
    this.commitTracker = options.commitTracker ?? null;
    this.#syncDirectory = options.syncDirectory ?? false;
  }

  read(pDest: number, n: number, offset: bigint): number {
    try {
      const got = this.handle.read(this.#engine.u8, pDest, n, Number(offset));
      if (got < n) {
        // SQLite relies on the unread part being zeroed.
        this.#engine.u8.fill(0, pDest + got, pDest + n);
        return SQLITE_IOERR_SHORT_READ;
      }
      return SQLITE_OK;
    } catch (error) {
      return vfsFailure(error, SQLITE_IOERR_READ);
    }
  }

  write(pSrc: number, n: number, offset: bigint): number {
    try {
      this.handle.write(this.#engine.u8, pSrc, n, Number(offset));
      return SQLITE_OK;
    } catch (error) {
      return vfsFailure(error, SQLITE_IOERR_WRITE);
    }
  }

  truncate(size: bigint): number {
    try {
      this.handle.truncate(Number(size));
      return SQLITE_OK;
    } catch (error) {
      return vfsFailure(error, SQLITE_IOERR_TRUNCATE);
    }
  }

  sync(flags: number): number {
    try {
      this.handle.sync((flags & SQLITE_SYNC_DATAONLY) !== 0);
    } catch (error) {
      return vfsFailure(error, SQLITE_IOERR_FSYNC);
    }
    if (this.#syncDirectory && this.path !== null) {
      try {
        this.#filesystem.syncParentDirectory(this.path);
      } catch (error) {
        // Unlike os_unix.c, a failed fsync of an openable directory is reported: the journal's
        // existence is what makes the transaction recoverable after a power loss.
        if (!isIgnorableDirectorySyncError(error)) return vfsFailure(error, SQLITE_IOERR_DIR_FSYNC);
      }
      this.#syncDirectory = false;
    }
    return SQLITE_OK;
  }

  fileSize(pSize: number): number {
    try {
      const size = this.handle.size();
      this.#engine.dv.setBigInt64(pSize, BigInt(size), true);
      return SQLITE_OK;
    } catch (error) {
      return vfsFailure(error, SQLITE_IOERR_FSTAT);
    }
  }

  lockTo(level: number): number {
    if (this.lock === null) {
      if (level > this.lockLevel) this.lockLevel = level;
      return SQLITE_OK;
    }
    const rc = this.lock.lock(this, level);
    // A conflict between this process's connections has no cause to report.
    if (rc === SQLITE_BUSY) clearVfsError();
    return rc;
  }

  unlockTo(level: number): number {
    if (this.lock === null) {
      if (level < this.lockLevel) this.lockLevel = level;
    } else {
      this.lock.unlock(this, level);
    }
    return SQLITE_OK;
  }

  checkReservedLock(pResOut: number): number {
    this.#engine.dv.setInt32(pResOut, this.lock?.reserved ? 1 : 0, true);
    return SQLITE_OK;
  }
}
