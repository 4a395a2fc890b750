import {
  SQLITE_BUSY,
  SQLITE_IOERR_LOCK,
  SQLITE_LOCK_EXCLUSIVE,
  SQLITE_LOCK_NONE,
  SQLITE_LOCK_PENDING,
  SQLITE_LOCK_RESERVED,
  SQLITE_LOCK_SHARED,
  SQLITE_OK,
} from '../sqlite3/constants.ts';

/** A connection's side of a {@link FileLock}: the level it holds (`SQLITE_LOCK_*`). */
export interface LockHolder {
  lockLevel: number;
}

/**
 * The SHARED/RESERVED/PENDING/EXCLUSIVE lock of one database file between the connections of
 * this thread, with the semantics os_unix.c gives connections of different processes:
 * - SHARED is refused while another connection holds PENDING or EXCLUSIVE;
 * - one RESERVED at a time, taken from SHARED, and not while PENDING or EXCLUSIVE is held;
 * - EXCLUSIVE is granted only when no other connection holds SHARED; a writer coming from
 *   RESERVED takes PENDING first and keeps it on `SQLITE_BUSY`, so new readers are kept out until
 *   it gets EXCLUSIVE or gives up.
 *
 * Requests that SQLite never makes (RESERVED or EXCLUSIVE from NONE) get `SQLITE_IOERR_LOCK`.
 *
 * @example
 * const lock = new FileLock('/app.db');
 * const a = { lockLevel: 0 }, b = { lockLevel: 0 };
 * lock.lock(a, SQLITE_LOCK_SHARED); lock.lock(b, SQLITE_LOCK_SHARED);
 * lock.lock(a, SQLITE_LOCK_RESERVED);  // SQLITE_OK
 * lock.lock(a, SQLITE_LOCK_EXCLUSIVE); // SQLITE_BUSY, a now holds PENDING
 */
export class FileLock {
  /** The canonical path of the database file. */
  readonly path: string;
  /** How many open files refer to this lock (maintained by {@link LockTable}). */
  refs = 0;
  #shared = 0;
  #reserved: LockHolder | null = null;
  #pending: LockHolder | null = null;
  #exclusive: LockHolder | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /** Raises `holder`'s lock to `level`; `SQLITE_OK` or `SQLITE_BUSY`. */
  lock(holder: LockHolder, level: number): number {
    const current = holder.lockLevel;
    if (current >= level) return SQLITE_OK;
    if (level === SQLITE_LOCK_SHARED) {
      if (this.#pending !== null || this.#exclusive !== null) return SQLITE_BUSY;
      this.#shared++;
      holder.lockLevel = SQLITE_LOCK_SHARED;
      return SQLITE_OK;
    }
    if (current === SQLITE_LOCK_NONE) return SQLITE_IOERR_LOCK;
    if (this.#exclusive !== null || (this.#pending !== null && this.#pending !== holder)) return SQLITE_BUSY;
    if (this.#reserved !== null && this.#reserved !== holder) return SQLITE_BUSY;
    if (level === SQLITE_LOCK_RESERVED) {
      this.#reserved = holder;
      holder.lockLevel = SQLITE_LOCK_RESERVED;
      return SQLITE_OK;
    }
    // As os_unix.c: only a writer coming from RESERVED takes PENDING on its way to EXCLUSIVE
    // (SHARED straight to EXCLUSIVE is a hot-journal rollback or a WAL close, which give up on BUSY).
    if (current >= SQLITE_LOCK_RESERVED) {
      this.#pending = holder;
      holder.lockLevel = SQLITE_LOCK_PENDING;
    }
    if (this.#shared > 1) return SQLITE_BUSY;
    this.#exclusive = holder;
    holder.lockLevel = SQLITE_LOCK_EXCLUSIVE;
    return SQLITE_OK;
  }

  /** Lowers `holder`'s lock to `level` (SHARED or NONE); never fails. */
  unlock(holder: LockHolder, level: number): void {
    const current = holder.lockLevel;
    if (current <= level) return;
    if (this.#reserved === holder) this.#reserved = null;
    if (this.#pending === holder) this.#pending = null;
    if (this.#exclusive === holder) this.#exclusive = null;
    if (level === SQLITE_LOCK_NONE) this.#shared--;
    holder.lockLevel = level;
  }

  /** Whether any connection (the asking one included) holds RESERVED or more. */
  get reserved(): boolean {
    return this.#reserved !== null || this.#pending !== null || this.#exclusive !== null;
  }
}
