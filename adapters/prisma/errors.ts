import { DriverAdapterError, type Error as DriverError, type MappedError } from '@prisma/driver-adapter-utils';

// SQLite's primary result codes (sqlite3.h), for errors whose numeric code did not travel with
// them (a primary's error over HTTP carries only the name).
const PRIMARY_CODES: Record<string, number> = {
  SQLITE_ERROR: 1, SQLITE_INTERNAL: 2, SQLITE_PERM: 3, SQLITE_ABORT: 4, SQLITE_BUSY: 5, SQLITE_LOCKED: 6,
  SQLITE_NOMEM: 7, SQLITE_READONLY: 8, SQLITE_INTERRUPT: 9, SQLITE_IOERR: 10, SQLITE_CORRUPT: 11,
  SQLITE_NOTFOUND: 12, SQLITE_FULL: 13, SQLITE_CANTOPEN: 14, SQLITE_PROTOCOL: 15, SQLITE_EMPTY: 16,
  SQLITE_SCHEMA: 17, SQLITE_TOOBIG: 18, SQLITE_CONSTRAINT: 19, SQLITE_MISMATCH: 20, SQLITE_MISUSE: 21,
  SQLITE_NOLFS: 22, SQLITE_AUTH: 23, SQLITE_FORMAT: 24, SQLITE_RANGE: 25, SQLITE_NOTADB: 26,
  SQLITE_NOTICE: 27, SQLITE_WARNING: 28,
};

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
  const family = /^SQLITE_[A-Z]+/.exec(error.code)?.[0];
  return (family !== undefined ? PRIMARY_CODES[family] : undefined) ?? 1;
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
  if (message.startsWith('no such table: ')) return { kind: 'TableDoesNotExist', table: message.slice('no such table: '.length) };
  if (message.startsWith('no such column: ')) return { kind: 'ColumnNotFound', column: message.slice('no such column: '.length) };
  const named = message.indexOf(' has no column named ');
  if (named >= 0) return { kind: 'ColumnNotFound', column: message.slice(named + ' has no column named '.length) };
  return { kind: 'sqlite', extendedCode: extendedCode(error), message };
}

function mapClientError(error: CodedError): MappedError | undefined {
  switch (error.code) {
    case 'TRANSACTION_CLOSED': return { kind: 'TransactionAlreadyClosed', cause: error.message };
    case 'CLIENT_CLOSED': return { kind: 'ConnectionClosed' };
    case 'PRIMARY_UNREACHABLE': return { kind: 'DatabaseNotReachable' };
    default: return undefined;
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
export function toDriverAdapterError(error: unknown): unknown {
  if (!isCodedError(error)) return error;
  const mapped = error.code.startsWith('SQLITE_') ? mapSqliteError(error) : mapClientError(error);
  if (mapped === undefined) return error;
  const payload: DriverError = { ...mapped, originalCode: error.code, originalMessage: error.message };
  return new DriverAdapterError(payload);
}
