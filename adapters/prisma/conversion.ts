import { ColumnTypeEnum, type ArgType, type ColumnType } from '@prisma/driver-adapter-utils';
import { rowValues, type InValue, type Row, type Value } from '../../core/index.ts';

/**
 * How Prisma `DateTime` values are written: ISO 8601 text (Prisma 7) or epoch milliseconds (Prisma ≤ 6).
 *
 * @example
 * new PrismaWasmlite({ url: 'file:legacy.db' }, { timestampFormat: 'unixepoch-ms' });
 */
export type TimestampFormat = 'iso8601' | 'unixepoch-ms';

// Declared column types as SQLite's own type names spell them (Prisma's quaint conventions).
const DECLARED: Record<string, ColumnType> = {
  DECIMAL: ColumnTypeEnum.Numeric,
  FLOAT: ColumnTypeEnum.Float,
  DOUBLE: ColumnTypeEnum.Double,
  'DOUBLE PRECISION': ColumnTypeEnum.Double,
  NUMERIC: ColumnTypeEnum.Double,
  REAL: ColumnTypeEnum.Double,
  TINYINT: ColumnTypeEnum.Int32,
  SMALLINT: ColumnTypeEnum.Int32,
  MEDIUMINT: ColumnTypeEnum.Int32,
  INT: ColumnTypeEnum.Int32,
  INTEGER: ColumnTypeEnum.Int32,
  SERIAL: ColumnTypeEnum.Int32,
  INT2: ColumnTypeEnum.Int32,
  BIGINT: ColumnTypeEnum.Int64,
  'UNSIGNED BIG INT': ColumnTypeEnum.Int64,
  INT8: ColumnTypeEnum.Int64,
  DATETIME: ColumnTypeEnum.DateTime,
  TIMESTAMP: ColumnTypeEnum.DateTime,
  TIME: ColumnTypeEnum.Time,
  DATE: ColumnTypeEnum.Date,
  TEXT: ColumnTypeEnum.Text,
  CLOB: ColumnTypeEnum.Text,
  CHARACTER: ColumnTypeEnum.Text,
  VARCHAR: ColumnTypeEnum.Text,
  'VARYING CHARACTER': ColumnTypeEnum.Text,
  NCHAR: ColumnTypeEnum.Text,
  'NATIVE CHARACTER': ColumnTypeEnum.Text,
  NVARCHAR: ColumnTypeEnum.Text,
  BLOB: ColumnTypeEnum.Bytes,
  BOOLEAN: ColumnTypeEnum.Boolean,
  JSONB: ColumnTypeEnum.Json,
};

/** The Prisma column type of a declared type (`VARCHAR(255)` as `VARCHAR`); undefined when unknown or empty. */
function fromDeclaredType(declared: string): ColumnType | undefined {
  if (declared === '') return undefined;
  const known = DECLARED[declared] ?? DECLARED[declared.toUpperCase()];
  if (known !== undefined) return known;
  const paren = declared.indexOf('(');
  return paren > 0 ? DECLARED[declared.slice(0, paren).trim().toUpperCase()] : undefined;
}

/** The Prisma column type of a value, for result columns without a declared type (expressions). */
function fromValue(value: Exclude<Value, null>): ColumnType {
  switch (typeof value) {
    case 'string':
      return ColumnTypeEnum.Text;
    case 'bigint':
      return ColumnTypeEnum.Int64;
    case 'number':
      return ColumnTypeEnum.UnknownNumber;
    default:
      return ColumnTypeEnum.Bytes;
  }
}

/**
 * The Prisma column types of a result: from each column's declared type
 * (`sqlite3_column_decltype`), else from the column's first non-null value, else `Int32`
 * (what Prisma's own SQLite connector assumes for a column of nulls).
 */
export function columnTypesOf(declaredTypes: readonly string[], rows: readonly Row[]): ColumnType[] {
  const types: ColumnType[] = new Array(declaredTypes.length);
  for (let i = 0; i < declaredTypes.length; i++) {
    let type = fromDeclaredType(declaredTypes[i]!);
    if (type === undefined) {
      for (const row of rows) {
        const value = rowValues(row)[i];
        if (value !== null && value !== undefined) {
          type = fromValue(value);
          break;
        }
      }
    }
    types[i] = type ?? ColumnTypeEnum.Int32;
  }
  return types;
}

/**
 * A result row as Prisma reads it: integers as numbers when exact, else as decimal strings;
 * blobs as `Uint8Array`; `DateTime` columns holding epoch milliseconds as ISO 8601 text. The
 * cells are read from the row's values array (`rowValues`), not through its index getters, which
 * cost a getter call per cell.
 */
export function toPrismaRow(row: Row, types: readonly ColumnType[]): unknown[] {
  const values = rowValues(row);
  const out: unknown[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const type = types[i];
    if (typeof value === 'bigint') {
      if (type === ColumnTypeEnum.DateTime) out[i] = new Date(Number(value)).toISOString();
      else if (value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER) out[i] = Number(value);
      else out[i] = value.toString();
    } else if (typeof value === 'number') {
      if (type === ColumnTypeEnum.DateTime) out[i] = new Date(value).toISOString();
      else if ((type === ColumnTypeEnum.Int32 || type === ColumnTypeEnum.Int64) && !Number.isInteger(value))
        out[i] = Math.trunc(value);
      else out[i] = value;
    } else if (value instanceof ArrayBuffer) {
      out[i] = new Uint8Array(value);
    } else {
      out[i] = value;
    }
  }
  return out;
}

const INTEGRAL = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A Decimal (or Float: Prisma sends both as decimal text) as a number SQLite compares as one:
 * an integral value as a 64-bit integer when it fits (exact beyond 2^53), anything else as the
 * nearest double, which is what SQLite itself would store in a `DECIMAL` or `REAL` column. Text
 * would be stored the same way, but compares as text against an expression (`AVG(x) > ?`).
 */
function decimalArg(text: string): number | bigint {
  if (INTEGRAL.test(text)) {
    const integer = BigInt(text);
    if (integer >= INT64_MIN && integer <= INT64_MAX) return integer;
  }
  return Number.parseFloat(text);
}

/**
 * A Prisma query argument as a wasmlite statement argument. BigInts bind as `bigint`, Decimals and
 * Floats as numbers (integral ones as exact 64-bit integers), booleans as 1/0, `DateTime`s in the
 * chosen {@link TimestampFormat}, bytes as `Uint8Array`.
 */
export function toWasmliteArg(arg: unknown, type: ArgType | undefined, timestampFormat: TimestampFormat): InValue {
  if (arg === null || arg === undefined) return null;
  const scalar = type?.scalarType;
  if (typeof arg === 'string') {
    switch (scalar) {
      case 'bigint':
        return BigInt(arg);
      case 'int':
        return Number.parseInt(arg, 10);
      case 'float':
        return Number.parseFloat(arg);
      case 'decimal':
        return decimalArg(arg);
      case 'datetime':
        return formatTimestamp(new Date(arg), timestampFormat);
      case 'bytes':
        return Buffer.from(arg, 'base64');
      default:
        return arg;
    }
  }
  if (typeof arg === 'boolean') return arg ? 1 : 0;
  if (arg instanceof Date) return formatTimestamp(arg, timestampFormat);
  if (Array.isArray(arg) && scalar === 'bytes') return Uint8Array.from(arg as number[]);
  return arg as InValue;
}

function formatTimestamp(date: Date, format: TimestampFormat): InValue {
  return format === 'unixepoch-ms' ? date.getTime() : date.toISOString().replace('Z', '+00:00');
}
