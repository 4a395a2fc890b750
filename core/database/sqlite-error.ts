/**
 * The one error class for failures reported by the SQLite engine.
 *
 * `code` is SQLite's extended result code name (`'SQLITE_CONSTRAINT_UNIQUE'`, `'SQLITE_BUSY'`,
 * `'SQLITE_IOERR_WRITE'` …), `rawCode` the number, and the message SQLite's own text without a
 * prefix. When the failure came from the file system, `cause` is the Node error (ENOSPC, EACCES, …).
 *
 * @example
 * try { db.prepare('INSERT INTO users (email) VALUES (?)').run(email); }
 * catch (e) { if (e instanceof SqliteError && e.code === 'SQLITE_CONSTRAINT_UNIQUE') … }
 */
export class SqliteError extends Error {
  /** The extended result code name, e.g. `SQLITE_CONSTRAINT_UNIQUE`. */
  readonly code: string;
  /** The extended result code as a number, e.g. 2067. */
  readonly rawCode: number;

  constructor(message: string, code: string, rawCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.rawCode = rawCode;
  }

  override get name(): string {
    return 'SqliteError';
  }
}
