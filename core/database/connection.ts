import type { Engine } from '../sqlite3/engine.ts';
import {
  primaryResultCode,
  SQLITE_BUSY,
  SQLITE_CANTOPEN,
  SQLITE_FULL,
  SQLITE_IOERR,
  SQLITE_NOTADB,
  SQLITE_OK,
  SQLITE_READONLY,
} from '../sqlite3/constants.ts';
import { takeVfsError, OwnerLockError } from '../vfs/index.ts';
import { SqliteError } from './sqlite-error.ts';

// Primary result codes whose cause may be kept by the VFS.
const IO_CODES = new Set([SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_BUSY, SQLITE_NOTADB, SQLITE_READONLY]);

/**
 * The state one `Database` shares with its statements: the `sqlite3*` handle, whether it is
 * still open, and the conversion of SQLite result codes into {@link SqliteError}s.
 * Internal: not exported from the package.
 */
export class Connection {
  readonly engine: Engine;
  #ptr: number;
  /** Statement pointers not yet finalized; finalized on close. */
  readonly statements = new Set<number>();
  #kept: { error: unknown } | undefined;
  /**
   * True while SQLite runs a statement of this connection (a step, `exec`): user functions run
   * then, and any other use of the connection from inside one is refused.
   */
  busy = false;
  /** Open statement iterators; while there are any, only reads may run (unless `unsafe`). */
  iterators = 0;
  /** better-sqlite3's unsafe mode: writes and `exec` are allowed while iterating. */
  unsafe = false;
  /** Called with the SQL (parameters expanded) of each statement before it runs. */
  verbose: ((sql: string) => void) | undefined = undefined;

  constructor(engine: Engine, ptr: number) {
    this.engine = engine;
    this.#ptr = ptr;
  }

  get isOpen(): boolean {
    return this.#ptr !== 0;
  }

  /** The `sqlite3*` handle; a TypeError once closed. */
  get ptr(): number {
    if (this.#ptr === 0) throw new TypeError('The database connection is not open');
    return this.#ptr;
  }

  /**
   * An exception thrown by user code that SQLite called during the current step (a function, an
   * aggregate, a virtual table), to be rethrown unchanged by the call that ran the step, whatever
   * was thrown (`throw 'text'` rethrows the string). Setting it keeps the latest one.
   */
  set pendingError(error: unknown) {
    this.#kept = { error };
  }

  /** Drops a kept exception of user code that belongs to no call (e.g. an authorizer's, for a tail that is not run). */
  dropPendingError(): void {
    this.#kept = undefined;
  }

  /**
   * Builds the error for result code `rc` from the connection's error message, or returns the
   * kept exception of user code ({@link pendingError}) as it was thrown.
   */
  error(rc: number): unknown {
    if (this.#kept !== undefined) {
      const { error } = this.#kept;
      this.#kept = undefined;
      return error;
    }
    const ptr = this.#ptr;
    const message =
      ptr === 0
        ? this.engine.cstring(this.engine.x.sqlite3_errstr(rc))
        : this.engine.cstring(this.engine.x.sqlite3_errmsg(ptr));
    return sqliteError(this.engine, rc, message ?? 'unknown error');
  }

  /** The connection is open and not running a statement: a TypeError otherwise. */
  checkNotBusy(): void {
    if (this.#ptr === 0) throw new TypeError('The database connection is not open');
    if (this.busy) throw busyError();
  }

  /** Like {@link checkNotBusy}, and no statement iterator is open (unless `unsafe` is allowed). */
  checkIdle(allowUnsafe: boolean): void {
    this.checkNotBusy();
    if (this.iterators > 0 && !(allowUnsafe && this.unsafe)) throw busyError();
  }

  /**
   * Hands the statement's SQL, parameters expanded, to the `verbose` logger. A logger that throws
   * stops the statement before it runs.
   */
  log(stmt: number): void {
    const logger = this.verbose;
    if (logger === undefined) return;
    const x = this.engine.x;
    const expanded = x.sqlite3_expanded_sql(stmt);
    const sql = expanded === 0 ? this.engine.cstring(x.sqlite3_sql(stmt)) : this.engine.cstring(expanded);
    if (expanded !== 0) x.sqlite3_free(expanded);
    logger.call(undefined, sql ?? '');
  }

  /** Throws the error for `rc` unless it is `SQLITE_OK`. */
  check(rc: number): void {
    if (rc !== SQLITE_OK) throw this.error(rc);
  }

  /** Finalizes every statement and closes the handle; idempotent. */
  close(): void {
    if (this.#ptr === 0) return;
    for (const stmt of this.statements) this.engine.x.sqlite3_finalize(stmt);
    this.statements.clear();
    const rc = this.engine.x.sqlite3_close_v2(this.#ptr);
    if (rc !== SQLITE_OK) throw this.error(rc);
    this.#ptr = 0;
  }
}

/** better-sqlite3's refusal of a connection in use by a running statement or an iterator. */
export function busyError(): TypeError {
  return new TypeError('This database connection is busy executing a query');
}

/**
 * Builds a {@link SqliteError} for `rc`, attaching what the VFS kept about an I/O failure as
 * `cause` (and, for the cross-process owner lock, its message, which names the owner).
 */
export function sqliteError(e: Engine, rc: number, message: string): SqliteError {
  const cause = IO_CODES.has(primaryResultCode(rc)) ? takeVfsError() : undefined;
  if (cause instanceof OwnerLockError) {
    return new SqliteError(cause.message, e.codeName(rc), rc, { cause });
  }
  return new SqliteError(message, e.codeName(rc), rc, cause === undefined ? undefined : { cause });
}
