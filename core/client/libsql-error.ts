import { SqliteError } from '../database/sqlite-error.ts';
import { WasmliteError } from '../util/wasmlite-error.ts';

/**
 * Every error a `Client` raises on purpose, in @libsql/client's shape, so code that catches
 * libSQL's errors works unchanged. `code` is machine-readable: for a failure inside SQLite its
 * primary result code name (`SQLITE_CONSTRAINT`), with the extended name in `extendedCode`
 * (`SQLITE_CONSTRAINT_PRIMARYKEY`), the number in `rawCode` and the engine's {@link SqliteError}
 * as `cause`; for a misuse of the client a {@link ClientError} code (`CLIENT_CLOSED`, …). The
 * message starts with the code, as libSQL's does.
 *
 * The synchronous `Database` keeps throwing `SqliteError` (better-sqlite3's class); the
 * `Client` turns those into `LibsqlError`s at its boundary.
 *
 * @example
 * try { await client.execute('INSERT INTO users (id) VALUES (1)'); }
 * catch (e) { if (e instanceof LibsqlError && e.extendedCode === 'SQLITE_CONSTRAINT_PRIMARYKEY') … }
 */
export class LibsqlError extends WasmliteError {
  /** Machine-readable error code, e.g. `SQLITE_CONSTRAINT` or `TRANSACTION_CLOSED`. */
  declare readonly code: string;
  /** SQLite's extended result code name, e.g. `SQLITE_CONSTRAINT_PRIMARYKEY`; undefined for a client misuse. */
  readonly extendedCode: string | undefined;
  /** SQLite's extended result code as a number, e.g. 1555; undefined for a client misuse. */
  readonly rawCode: number | undefined;

  constructor(message: string, code: string, extendedCode?: string, rawCode?: number, cause?: Error) {
    super(`${code}: ${message}`, code, cause === undefined ? undefined : { cause });
    this.extendedCode = extendedCode;
    this.rawCode = rawCode;
  }

  override get name(): string {
    return 'LibsqlError';
  }
}

/**
 * A failure of one statement of a batch (`Client.batch`, `Transaction.batch`, `migrate`):
 * `statementIndex` is its zero-based position; the rest is the statement's own error.
 *
 * @example
 * try { await client.batch(['INSERT INTO t VALUES (1)', 'INSERT INTO missing VALUES (1)']); }
 * catch (e) { if (e instanceof LibsqlBatchError) e.statementIndex; } // 1
 */
export class LibsqlBatchError extends LibsqlError {
  /** The zero-based index of the statement that failed. */
  readonly statementIndex: number;

  constructor(
    message: string,
    statementIndex: number,
    code: string,
    extendedCode?: string,
    rawCode?: number,
    cause?: Error,
  ) {
    super(message, code, extendedCode, rawCode, cause);
    this.statementIndex = statementIndex;
  }

  override get name(): string {
    return 'LibsqlBatchError';
  }
}

/** `SQLITE_CONSTRAINT_UNIQUE` → `SQLITE_CONSTRAINT`: primary result code names are one word. */
function primaryCodeName(extended: string): string {
  const cut = extended.indexOf('_', 'SQLITE_'.length);
  return cut < 0 ? extended : extended.slice(0, cut);
}

/** The message a {@link LibsqlError} was made from, without the code prefix its constructor adds. */
function bareMessage(error: LibsqlError): string {
  const prefix = `${error.code}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/**
 * The error a `Client` call rejects with for `error`: a {@link SqliteError} becomes a
 * {@link LibsqlError} (primary code, extended code, raw code, the SqliteError as `cause`); anything
 * else (a LibsqlError already, a TypeError or RangeError for bad arguments) is returned unchanged.
 *
 * @example
 * try { runner.run(s) } catch (e) { throw toLibsqlError(e) }
 */
export function toLibsqlError(error: unknown): unknown {
  // open()'s "directory does not exist" TypeError (better-sqlite3's) carries SQLite's
  // SQLITE_CANTOPEN, which is what libSQL reports.
  if (error instanceof TypeError && error.cause instanceof SqliteError) error = error.cause;
  if (!(error instanceof SqliteError)) return error;
  return new LibsqlError(error.message, primaryCodeName(error.code), error.code, error.rawCode, error);
}

/**
 * The error a batch rejects with when its statement `index` failed with `error`: a
 * {@link LibsqlBatchError} carrying the index (an error that already is one is kept), or `error`
 * unchanged when it is not a libSQL-shaped failure (a TypeError for bad arguments).
 *
 * @example
 * throw toBatchError(error, 2);
 */
export function toBatchError(error: unknown, index: number): unknown {
  const libsql = toLibsqlError(error);
  if (libsql instanceof LibsqlBatchError || !(libsql instanceof LibsqlError)) return libsql;
  const cause = libsql.cause instanceof Error ? libsql.cause : libsql;
  return new LibsqlBatchError(bareMessage(libsql), index, libsql.code, libsql.extendedCode, libsql.rawCode, cause);
}
