import { WasmliteError } from '../util/wasmlite-error.ts';

/**
 * The one error class for failures reported by the SQLite engine.
 *
 * `code` is SQLite's extended result code name (`'SQLITE_CONSTRAINT_UNIQUE'`, `'SQLITE_BUSY'`,
 * `'SQLITE_IOERR_WRITE'` …), `rawCode` the number, and the message SQLite's own text without a
 * prefix. When the failure came from the file system, `cause` is the Node error (ENOSPC, EACCES, …).
 *
 * As better-sqlite3's, it can be called with or without `new`; a `code` that is not a string is a
 * TypeError, and `rawCode` is NaN when not given.
 *
 * @example
 * try { db.prepare('INSERT INTO users (email) VALUES (?)').run(email); }
 * catch (e) { if (e instanceof SqliteError && e.code === 'SQLITE_CONSTRAINT_UNIQUE') … }
 */
export interface SqliteError extends WasmliteError {
  /** The extended result code name, e.g. `SQLITE_CONSTRAINT_UNIQUE`. */
  readonly code: string;
  /** The extended result code as a number, e.g. 2067. */
  readonly rawCode: number;
}

/** The type of {@link SqliteError}: a class that may also be called as a function. */
export interface SqliteErrorConstructor {
  new (message: string, code: string, rawCode?: number, options?: { cause?: unknown }): SqliteError;
  (message: string, code: string, rawCode?: number, options?: { cause?: unknown }): SqliteError;
  readonly prototype: SqliteError;
}

class SqliteErrorClass extends WasmliteError implements SqliteError {
  readonly rawCode: number;

  constructor(message: string, code: string, rawCode = Number.NaN, options?: { cause?: unknown }) {
    if (typeof code !== 'string') throw new TypeError('Expected second argument to be a string');
    super(String(message), code, options);
    this.rawCode = rawCode;
  }

  override get name(): string {
    return 'SqliteError';
  }
}

// The class's own name is what Node prints for a thrown error (`util.inspect`, `console.error`) and
// what `error.constructor.name` reads: better-sqlite3's says SqliteError, not the helper's name.
Object.defineProperty(SqliteErrorClass, 'name', { value: 'SqliteError' });

/**
 * Constructs a {@link SqliteError} (with or without `new`).
 * @example const error = SqliteError('no such table: t', 'SQLITE_ERROR', 1);
 */
// A class cannot be called; the proxy makes `SqliteError(message, code)` construct one, while
// `new`, `instanceof` and `extends` reach the class itself.
export const SqliteError = new Proxy(SqliteErrorClass, {
  apply: (target, _this, args: ConstructorParameters<typeof SqliteErrorClass>) => new target(...args),
}) as unknown as SqliteErrorConstructor;
