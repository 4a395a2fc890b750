import type { Engine } from './engine.ts';
import { SQLITE_BLOB, SQLITE_FLOAT, SQLITE_INTEGER, SQLITE_NULL, SQLITE_TEXT, SQLITE_TRANSIENT } from './constants.ts';

/** A value wasmlite binds to a parameter or returns from a column. */
export type SqlValue = number | bigint | string | Uint8Array | null;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TWO_POW_53 = 9007199254740992;

interface Utf8Buffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  utf8Write(text: string, offset: number, length: number): number;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

/**
 * Writes `text` as UTF-8 at `ptr` (room for 3 bytes per UTF-16 code unit must be there) and
 * returns the byte length. Short ASCII strings, the common case for keys and names, are copied
 * by a JS loop: cheaper than the native call `utf8Write` costs.
 */
function writeUtf8(e: Engine, text: string, ptr: number): number {
  const n = text.length;
  if (n <= 48) {
    const u8 = e.u8;
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      u8[ptr + i] = c;
    }
    if (i === n) return n;
  }
  return (e.buf as Utf8Buffer).utf8Write(text, ptr, n * 3);
}

/**
 * Binds one JS value to parameter `index` of statement `stmt`: every number as REAL (a double,
 * as better-sqlite3 and @libsql/client bind it; a column of INTEGER affinity still stores an
 * integral one as an INTEGER, which {@link readColumn} gives back as the very same number),
 * bigints as INTEGER
 * (RangeError outside int64), strings as TEXT, `Uint8Array`/`Buffer`/`ArrayBuffer` as BLOB,
 * booleans as 1/0, null/undefined as NULL. Anything else is a TypeError naming the parameter
 * (`label`). Returns SQLite's result code.
 */
export function bindValue(e: Engine, stmt: number, index: number, value: unknown, label: string | number): number {
  switch (typeof value) {
    case 'number':
      return e.x.sqlite3_bind_double(stmt, index, value);
    case 'string': {
      const ptr = e.scratch(value.length * 3 + 1);
      return e.x.sqlite3_bind_text(stmt, index, ptr, writeUtf8(e, value, ptr), SQLITE_TRANSIENT);
    }
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) {
        throw new RangeError(`Expected parameter ${label} to be within the 64-bit integer range`);
      }
      return e.x.sqlite3_bind_int64(stmt, index, value);
    case 'boolean':
      return e.x.sqlite3_bind_int(stmt, index, value ? 1 : 0);
    case 'undefined':
      return e.x.sqlite3_bind_null(stmt, index);
    case 'object': {
      if (value === null) return e.x.sqlite3_bind_null(stmt, index);
      let bytes: Uint8Array | undefined;
      if (value instanceof Uint8Array) bytes = value;
      else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
      else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      }
      if (bytes === undefined) break;
      if (bytes.length === 0) return e.x.sqlite3_bind_zeroblob(stmt, index, 0);
      const ptr = e.scratch(bytes.length);
      e.u8.set(bytes, ptr);
      return e.x.sqlite3_bind_blob(stmt, index, ptr, bytes.length, SQLITE_TRANSIENT);
    }
  }
  throw new TypeError(
    `Expected parameter ${label} to be a number, bigint, string, boolean, Uint8Array, ArrayBuffer or null, ` +
      `got ${describe(value)}`,
  );
}

/**
 * Reads column `i` of the current row. An INTEGER is a number when a double holds it exactly:
 * every integer within ±2^53, and every integer that came from a JS number (INTEGER affinity
 * stores 1e18 as the INTEGER 1000000000000000000); any other is a RangeError, never a rounded
 * number.
 */
export function readColumn(e: Engine, stmt: number, i: number): SqlValue {
  switch (e.x.sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER: {
      const d = e.x.sqlite3_column_double(stmt, i);
      if (d < TWO_POW_53 && d > -TWO_POW_53) return d;
      return exactNumber(e.x.sqlite3_column_int64(stmt, i), i);
    }
    case SQLITE_FLOAT:
      return e.x.sqlite3_column_double(stmt, i);
    case SQLITE_TEXT: {
      const ptr = e.x.sqlite3_column_text(stmt, i);
      const n = e.x.sqlite3_column_bytes(stmt, i);
      return (e.buf as Utf8Buffer).utf8Slice(ptr, ptr + n);
    }
    case SQLITE_BLOB:
      return readBlob(e, stmt, i);
    default:
      return null;
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Like {@link readColumn}, but an INTEGER outside ±(2^53 − 1) is a RangeError even where a double
 * holds it exactly: @libsql/client's `intMode: 'number'`.
 */
export function readColumnSafeNumber(e: Engine, stmt: number, i: number): SqlValue {
  const value = readColumn(e, stmt, i);
  // Only a number this large asks for the column's type again: a REAL may be, an INTEGER may not.
  if (typeof value !== 'number' || (value <= MAX_SAFE && value >= -MAX_SAFE)) return value;
  if (e.x.sqlite3_column_type(stmt, i) !== SQLITE_INTEGER) return value;
  throw new RangeError(
    `The integer ${e.x.sqlite3_column_int64(stmt, i)} in column ${i} is outside the safe range of a JS number; ` +
      "use intMode 'bigint' or 'string'",
  );
}

/** Like {@link readColumn}, but every INTEGER is a bigint (better-sqlite3's `safeIntegers`). */
export function readColumnBigInt(e: Engine, stmt: number, i: number): SqlValue {
  if (e.x.sqlite3_column_type(stmt, i) === SQLITE_INTEGER) return e.x.sqlite3_column_int64(stmt, i);
  return readColumn(e, stmt, i);
}

function readBlob(e: Engine, stmt: number, i: number): Buffer {
  const ptr = e.x.sqlite3_column_blob(stmt, i);
  const n = e.x.sqlite3_column_bytes(stmt, i);
  return copyBlob(e, ptr, n);
}

/**
 * Copies `n` heap bytes at `ptr` into a `Buffer` of its own (never a slice of Node's pool, so
 * `blob.buffer` is exactly the blob: the Client hands that `ArrayBuffer` out as is).
 */
function copyBlob(e: Engine, ptr: number, n: number): Buffer {
  return Buffer.from(e.u8.slice(ptr, ptr + n).buffer, 0, n);
}

/** `value` as a number if a double holds it exactly, else a RangeError naming `column`. */
function exactNumber(value: bigint, column: number | string): number {
  const n = Number(value);
  if (BigInt(n) !== value) {
    throw new RangeError(
      `The integer ${value} in column ${column} cannot be represented as a number; ` +
        'use safeIntegers to read it as a bigint',
    );
  }
  return n;
}

/** Converts an int64 result (rowid, change count) to a number, or a RangeError if not exact. */
export function int64ToNumber(value: bigint, what: string): number {
  return exactNumber(value, what);
}

/** The values of a user-function call's arguments (`argv` of `sqlite3_value*`). */
export function readValues(e: Engine, argc: number, argv: number, bigints: boolean): SqlValue[] {
  const out = new Array<SqlValue>(argc);
  for (let i = 0; i < argc; i++) {
    const v = e.dv.getUint32(argv + 4 * i, true);
    switch (e.x.sqlite3_value_type(v)) {
      case SQLITE_INTEGER: {
        // As for columns: the double is exact below 2^53, and reading it allocates no BigInt.
        const d = bigints ? 0 : e.x.sqlite3_value_double(v);
        if (!bigints && d < TWO_POW_53 && d > -TWO_POW_53) out[i] = d;
        else {
          const big = e.x.sqlite3_value_int64(v);
          out[i] = bigints ? big : exactNumber(big, `argument ${i + 1}`);
        }
        break;
      }
      case SQLITE_FLOAT:
        out[i] = e.x.sqlite3_value_double(v);
        break;
      case SQLITE_TEXT: {
        const ptr = e.x.sqlite3_value_text(v);
        out[i] = (e.buf as Utf8Buffer).utf8Slice(ptr, ptr + e.x.sqlite3_value_bytes(v));
        break;
      }
      case SQLITE_BLOB:
        out[i] = copyBlob(e, e.x.sqlite3_value_blob(v), e.x.sqlite3_value_bytes(v));
        break;
      case SQLITE_NULL:
      default:
        out[i] = null;
    }
  }
  return out;
}

/** Sets a user function's result from a JS value (same conversions as {@link bindValue}). */
export function setResult(e: Engine, ctx: number, value: unknown): void {
  switch (typeof value) {
    case 'number':
      return e.x.sqlite3_result_double(ctx, value);
    case 'string': {
      const ptr = e.scratch(value.length * 3 + 1);
      return e.x.sqlite3_result_text(ctx, ptr, writeUtf8(e, value, ptr), SQLITE_TRANSIENT);
    }
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX)
        throw new RangeError('Expected the function result to be within the 64-bit integer range');
      return e.x.sqlite3_result_int64(ctx, value);
    case 'boolean':
      return e.x.sqlite3_result_int(ctx, value ? 1 : 0);
    case 'undefined':
      return e.x.sqlite3_result_null(ctx);
    case 'object':
      if (value === null) return e.x.sqlite3_result_null(ctx);
      if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
        const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
        const ptr = e.scratch(bytes.length + 1);
        e.u8.set(bytes, ptr);
        return e.x.sqlite3_result_blob(ctx, ptr, bytes.length, SQLITE_TRANSIENT);
      }
  }
  throw new TypeError(
    `Expected the function result to be a number, bigint, string, boolean, Uint8Array or null, got ${describe(value)}`,
  );
}
