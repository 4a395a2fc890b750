import { SQLITE_FULL, SQLITE_BUSY, SQLITE_CANTOPEN, SQLITE_CANTOPEN_ISDIR } from '../sqlite3/constants.ts';
import { isDirectorySyncUnsupported } from '../util/durable-file.ts';
import { OwnerLockError } from './owner-lock-error.ts';

// One slot is enough: the engine runs on one thread, and SQLite returns to the caller right
// after the failing VFS call, before another statement can run.
let kept: Error | undefined;

/**
 * Takes (and clears) the cause the VFS kept for its last failure: the Node error behind an
 * `SQLITE_IOERR_*`, `SQLITE_FULL` or `SQLITE_CANTOPEN`, or the {@link OwnerLockError} behind an
 * `SQLITE_BUSY` from another process owning the file. `undefined` if nothing failed since the
 * last take. A lock conflict between connections of this process keeps nothing.
 *
 * @example
 * const rc = x.sqlite3_step(stmt);
 * if (rc === SQLITE_FULL) {
 *   throw new SqliteError('database or disk is full', 'SQLITE_FULL', rc, { cause: takeVfsError() });
 * }
 */
export function takeVfsError(): Error | undefined {
  const error = kept;
  kept = undefined;
  return error;
}

/** The kept cause without clearing it (for `xGetLastError`). */
export function peekVfsError(): Error | undefined {
  return kept;
}

/** Forgets the kept cause, so that a later result code is not blamed on it. */
export function clearVfsError(): void {
  kept = undefined;
}

/**
 * Keeps `error` as the cause of a failing VFS call and returns the SQLite result code to give
 * back to SQLite: `rc`, or `SQLITE_FULL` when the disk or quota is full.
 */
export function vfsFailure(error: unknown, rc: number): number {
  kept = error instanceof Error ? error : new Error(String(error));
  const code = errorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') return SQLITE_FULL;
  return rc;
}

/**
 * Keeps `error` as the cause of a failing VFS call and returns `rc` as it is: for a refusal
 * (a commit observer threw) whose code must not depend on the error's errno.
 */
export function vfsRefusal(error: unknown, rc: number): number {
  kept = error instanceof Error ? error : new Error(String(error));
  return rc;
}

/** Like {@link vfsFailure} for `xOpen`: a directory, an owner lock or anything else. */
export function openFailure(error: unknown): number {
  if (error instanceof OwnerLockError) {
    kept = error;
    return SQLITE_BUSY;
  }
  kept = error instanceof Error ? error : new Error(String(error));
  return errorCode(error) === 'EISDIR' ? SQLITE_CANTOPEN_ISDIR : SQLITE_CANTOPEN;
}

/** The errno code (`'ENOENT'`) of a Node-style error, or `undefined`. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether a failed directory fsync is one to ignore: the directory cannot be opened at all (as
 * SQLite's unix VFS ignores), or the file system does not support syncing directories.
 */
export function isIgnorableDirectorySyncError(error: unknown): boolean {
  return (error as { syscall?: unknown } | null)?.syscall === 'open' || isDirectorySyncUnsupported(error);
}
