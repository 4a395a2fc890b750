/**
 * The base of every error class wasmlite throws on purpose. `code` is a machine-readable string,
 * what it names depends on the class: SQLite's extended result code name for a `SqliteError`
 * (`SQLITE_CONSTRAINT_UNIQUE`), a client code for a `LibsqlError` (`TRANSACTION_CLOSED`), the
 * errno behind a `LogIoError` (`ENOSPC`), a protocol code for the primary's refusals
 * (`READ_ONLY_TOKEN`). `name` is the class's name and the low-level failure is kept as `cause`.
 * Argument misuse stays a plain `TypeError`/`RangeError`, as in better-sqlite3.
 *
 * @example
 * try { await client.execute(sql); }
 * catch (e) { if (e instanceof WasmliteError) console.log(e.name, e.code); }
 */
export class WasmliteError extends Error {
  /** Machine-readable: see the class. */
  readonly code: string;

  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  // A getter on each class, not `constructor.name`: a bundler may rename a class (`LibsqlError2`).
  override get name(): string {
    return 'WasmliteError';
  }
}
