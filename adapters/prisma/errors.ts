import { DriverAdapterError, type Error as DriverError, type MappedError } from '@prisma/driver-adapter-utils';
import { LibsqlError, SqliteError } from '../../core/index.ts';

// SQLite's result codes by name (sqlite3.h), for errors whose number did not travel with them
// (a primary's error over HTTP carries only the name). An extended code is its primary code
// plus (position in its family's list) << 8; '' holds a number that has no name.
const PRIMARY_CODES: Record<string, number> = {
  ERROR: 1,
  INTERNAL: 2,
  PERM: 3,
  ABORT: 4,
  BUSY: 5,
  LOCKED: 6,
  NOMEM: 7,
  READONLY: 8,
  INTERRUPT: 9,
  IOERR: 10,
  CORRUPT: 11,
  NOTFOUND: 12,
  FULL: 13,
  CANTOPEN: 14,
  PROTOCOL: 15,
  EMPTY: 16,
  SCHEMA: 17,
  TOOBIG: 18,
  CONSTRAINT: 19,
  MISMATCH: 20,
  MISUSE: 21,
  NOLFS: 22,
  AUTH: 23,
  FORMAT: 24,
  RANGE: 25,
  NOTADB: 26,
  NOTICE: 27,
  WARNING: 28,
};
const EXTENDED_NAMES: Record<string, string[]> = {
  ERROR: ['MISSING_COLLSEQ', 'RETRY', 'SNAPSHOT', 'RESERVESIZE', 'KEY', 'UNABLE'],
  IOERR: [
    'READ',
    'SHORT_READ',
    'WRITE',
    'FSYNC',
    'DIR_FSYNC',
    'TRUNCATE',
    'FSTAT',
    'UNLOCK',
    'RDLOCK',
    'DELETE',
    'BLOCKED',
    'NOMEM',
    'ACCESS',
    'CHECKRESERVEDLOCK',
    'LOCK',
    'CLOSE',
    'DIR_CLOSE',
    'SHMOPEN',
    'SHMSIZE',
    'SHMLOCK',
    'SHMMAP',
    'SEEK',
    'DELETE_NOENT',
    'MMAP',
    'GETTEMPPATH',
    'CONVPATH',
    'VNODE',
    'AUTH',
    'BEGIN_ATOMIC',
    'COMMIT_ATOMIC',
    'ROLLBACK_ATOMIC',
    'DATA',
    'CORRUPTFS',
    'IN_PAGE',
  ],
  LOCKED: ['SHAREDCACHE', 'VTAB'],
  BUSY: ['RECOVERY', 'SNAPSHOT', 'TIMEOUT'],
  CANTOPEN: ['NOTEMPDIR', 'ISDIR', 'FULLPATH', 'CONVPATH', 'DIRTYWAL', 'SYMLINK'],
  CORRUPT: ['VTAB', 'SEQUENCE', 'INDEX'],
  READONLY: ['RECOVERY', 'CANTLOCK', 'ROLLBACK', 'DBMOVED', 'CANTINIT', 'DIRECTORY'],
  ABORT: ['', 'ROLLBACK'],
  CONSTRAINT: [
    'CHECK',
    'COMMITHOOK',
    'FOREIGNKEY',
    'FUNCTION',
    'NOTNULL',
    'PRIMARYKEY',
    'TRIGGER',
    'UNIQUE',
    'VTAB',
    'ROWID',
    'PINNED',
    'DATATYPE',
  ],
  NOTICE: ['RECOVER_WAL', 'RECOVER_ROLLBACK', 'RBU'],
  WARNING: ['AUTOINDEX'],
  AUTH: ['USER'],
};

/** `SQLITE_CONSTRAINT_CHECK` → 275; undefined for a name SQLite does not have. */
export function resultCodeOf(name: string): number | undefined {
  if (!name.startsWith('SQLITE_')) return undefined;
  const rest = name.slice('SQLITE_'.length);
  const cut = rest.indexOf('_');
  const family = cut < 0 ? rest : rest.slice(0, cut);
  const primary = PRIMARY_CODES[family];
  if (primary === undefined || cut < 0) return primary;
  const index = EXTENDED_NAMES[family]?.indexOf(rest.slice(cut + 1)) ?? -1;
  return index < 0 ? undefined : primary | ((index + 1) << 8);
}

/** The part of wasmlite's `SqliteError` and `ClientError` the mapping reads. */
interface CodedError {
  code: string;
  rawCode?: number;
  message: string;
}

function isCodedError(error: unknown): error is CodedError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/** `"UNIQUE constraint failed: User.a, User.b"` → `['a', 'b']` (SQLite's wording). */
function failedFields(message: string): string[] | undefined {
  const list = message.split('constraint failed: ')[1];
  return list === undefined ? undefined : list.split(', ').map((column) => column.slice(column.lastIndexOf('.') + 1));
}

function extendedCode(error: CodedError): number {
  if (typeof error.rawCode === 'number' && error.rawCode > 0) return error.rawCode;
  return resultCodeOf(error.code) ?? 1;
}

function mapSqliteError(error: CodedError): MappedError {
  const { code, message } = error;
  switch (code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY': {
      const fields = failedFields(message);
      return { kind: 'UniqueConstraintViolation', ...(fields === undefined ? {} : { constraint: { fields } }) };
    }
    case 'SQLITE_CONSTRAINT_NOTNULL': {
      const fields = failedFields(message);
      return { kind: 'NullConstraintViolation', ...(fields === undefined ? {} : { constraint: { fields } }) };
    }
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
    case 'SQLITE_CONSTRAINT_TRIGGER':
      return { kind: 'ForeignKeyConstraintViolation', constraint: { foreignKey: {} } };
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { kind: 'SocketTimeout' };
  if (message.startsWith('no such table: '))
    return { kind: 'TableDoesNotExist', table: message.slice('no such table: '.length) };
  if (message.startsWith('no such column: '))
    return { kind: 'ColumnNotFound', column: message.slice('no such column: '.length) };
  const named = message.indexOf(' has no column named ');
  if (named >= 0) return { kind: 'ColumnNotFound', column: message.slice(named + ' has no column named '.length) };
  return { kind: 'sqlite', extendedCode: extendedCode(error), message };
}

function mapClientError(error: CodedError): MappedError | undefined {
  switch (error.code) {
    case 'TRANSACTION_CLOSED':
      return { kind: 'TransactionAlreadyClosed', cause: error.message };
    case 'CLIENT_CLOSED':
      return { kind: 'ConnectionClosed' };
    case 'PRIMARY_UNREACHABLE':
    case 'PRIMARY_UNAVAILABLE':
      return { kind: 'DatabaseNotReachable' };
    default:
      return undefined;
  }
}

/**
 * Turns a wasmlite error into the `DriverAdapterError` Prisma maps to its error codes: a unique
 * violation (P2002, with the fields), not-null (P2011), foreign key (P2003), missing table (P2021)
 * or column (P2022), busy/locked (a timeout), any other SQLite failure `{ kind: 'sqlite',
 * extendedCode, message }`. Anything else is returned unchanged (Prisma reports it as is).
 *
 * @example
 * try { await client.execute(sql) } catch (e) { throw toDriverAdapterError(e) }
 */
export function toDriverAdapterError(thrown: unknown): unknown {
  // The Client's LibsqlError keeps the engine's SqliteError (extended code, bare message) as its cause.
  const error = thrown instanceof LibsqlError && thrown.cause instanceof SqliteError ? thrown.cause : thrown;
  if (!isCodedError(error)) return error;
  const mapped = error.code.startsWith('SQLITE_') ? mapSqliteError(error) : mapClientError(error);
  if (mapped === undefined) return error;
  const payload: DriverError = { ...mapped, originalCode: error.code, originalMessage: error.message };
  return new DriverAdapterError(payload);
}
