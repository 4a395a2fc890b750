import type { IntMode, Value } from '../../core/client/types.ts';
import type { SqlValue } from '../../core/index.ts';

/**
 * The JSON encoding of SQLite values on the primary's HTTP protocol, both directions, for both
 * sides: what replication/PROTOCOL.md's "Values" section describes. Arguments go from the client
 * ({@link encodeArgument}) to the server ({@link decodeArgument}); result values from the server
 * ({@link encodeResultValue}) to the client ({@link decodeResultValue}). JSON `null` and strings
 * are themselves; a JSON number with no fraction is an INTEGER, one with a fraction a REAL;
 * `{ "$bigint": "…" }` is an INTEGER beyond ±2^53, `{ "$real": "…" }` a REAL JSON cannot write as
 * a number with a fraction (integral, ±Infinity, -0), `{ "$blob": "<base64>" }` a blob.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const INTEGER = /^-?\d{1,20}$/;
const REAL = /^(-?Infinity|-?\d+(\.\d+)?(e[+-]?\d+)?)$/;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * What {@link decodeArgument} accepts, for an error message: `Expected args[0] to be ${ARGUMENT_FORMS}`.
 *
 * @example
 * throw new TypeError(`Expected args[0] to be ${ARGUMENT_FORMS}`);
 */
export const ARGUMENT_FORMS =
  'null, a number, a string, { "$bigint": "<64-bit integer>" }, { "$real": "<number>" } or { "$blob": "<base64>" }';

/** An INTEGER: a JSON number while it is a safe JS integer, else `{ "$bigint" }`. */
function encodeInteger(value: bigint): unknown {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : { $bigint: value.toString() };
}

/** A REAL JSON cannot write as a number with a fraction; `String` would lose the sign of -0. */
function encodeReal(value: number): { $real: string } {
  return { $real: Object.is(value, -0) ? '-0' : String(value) };
}

function encodeBlob(value: Uint8Array | ArrayBuffer): { $blob: string } {
  const bytes =
    value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(value);
  return { $blob: bytes.toString('base64') };
}

/**
 * A client's statement argument as JSON (the client side): a bigint is an INTEGER, a boolean the
 * INTEGER 1 or 0, a number as it binds locally (a REAL) (a JSON number; `{ "$real" }` for ±Infinity, -0 and NaN, which
 * the server refuses as it refuses any REAL text that is not a number), an `ArrayBuffer` or
 * `Uint8Array` a blob; null and strings as they are.
 *
 * @example
 * encodeArgument(2n ** 60n); // { $bigint: '1152921504606846976' }
 * encodeArgument(5n);        // { $bigint: '5' }
 * encodeArgument(-0);        // { $real: '-0' }
 */
export function encodeArgument(value: unknown): unknown {
  // An argument that binds as an INTEGER locally (a bigint; a boolean, as 1 or 0) is always sent as
  // `$bigint`: a plain JSON number binds as a REAL, as a JS number does.
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (typeof value === 'boolean') return { $bigint: value ? '1' : '0' };
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return encodeReal(value);
  if (value instanceof ArrayBuffer || value instanceof Uint8Array) return encodeBlob(value);
  return value;
}

/**
 * A statement argument from a request body as an SQLite value (the server side): null, a finite
 * number, a string, `{ "$bigint" }` within 64 bits, `{ "$real" }` with a number's text, or
 * `{ "$blob" }` with canonical base64. `undefined` for anything else (JSON never holds
 * `undefined`): the caller words the refusal, e.g. with {@link ARGUMENT_FORMS}.
 *
 * @example
 * decodeArgument({ $blob: 'AAE=' }); // Uint8Array [0, 1]
 * decodeArgument({ $real: 'NaN' });  // undefined
 */
export function decodeArgument(value: unknown): SqlValue | undefined {
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const v = value as Record<string, unknown>;
  if (keys[0] === '$bigint' && typeof v.$bigint === 'string' && INTEGER.test(v.$bigint)) {
    const n = BigInt(v.$bigint);
    if (n >= MIN_I64 && n <= MAX_I64) return n;
  }
  if (keys[0] === '$real' && typeof v.$real === 'string' && REAL.test(v.$real)) return Number(v.$real);
  if (keys[0] === '$blob' && typeof v.$blob === 'string' && BASE64.test(v.$blob) && v.$blob.length % 4 === 0) {
    return new Uint8Array(Buffer.from(v.$blob, 'base64'));
  }
  return undefined;
}

/**
 * A result value as JSON (the server side), keeping INTEGER and REAL apart: an INTEGER as
 * {@link encodeArgument} writes one, a REAL as a JSON number when it has a fraction, else
 * `{ "$real": "2" }`; a blob `{ "$blob" }`. Values must come from a statement read with
 * `safeIntegers`, so that every INTEGER is a bigint and every number a REAL.
 *
 * @example
 * encodeResultValue(2n ** 60n); // { $bigint: '1152921504606846976' }
 * encodeResultValue(2.0);       // { $real: '2' }
 */
export function encodeResultValue(value: SqlValue): unknown {
  if (typeof value === 'bigint') return encodeInteger(value);
  if (typeof value === 'number') return Number.isFinite(value) && !Number.isInteger(value) ? value : encodeReal(value);
  if (value instanceof Uint8Array) return encodeBlob(value);
  return value;
}

/** An INTEGER as `intMode` asks: a RangeError for an unsafe one as a number, as locally. */
function integer(value: bigint | number, intMode: IntMode, column: number): Value {
  if (intMode === 'bigint') return BigInt(value);
  if (intMode === 'string') return String(value);
  if (typeof value === 'number') return value;
  throw new RangeError(
    `The integer ${value} in column ${column} cannot be represented as a number; use intMode "bigint" or "string" to read it`,
  );
}

/**
 * A result value from the primary as a client returns it (the client side): an INTEGER as
 * `intMode` asks (a RangeError naming `column` for one beyond ±2^53 in `number` mode), a REAL as a
 * number, a blob as an `ArrayBuffer`, null and strings as they are. The primary is trusted: an
 * unknown shape is returned as it came.
 *
 * @example
 * decodeResultValue({ $real: '-0' }, 'number', 0);              // -0
 * decodeResultValue({ $bigint: '9007199254740993' }, 'bigint', 0); // 9007199254740993n
 */
export function decodeResultValue(value: unknown, intMode: IntMode, column: number): Value {
  if (typeof value === 'number') return Number.isInteger(value) ? integer(value, intMode, column) : value;
  if (value !== null && typeof value === 'object') {
    const v = value as { $bigint?: unknown; $blob?: unknown; $real?: unknown };
    if (typeof v.$bigint === 'string') return integer(BigInt(v.$bigint), intMode, column);
    if (typeof v.$real === 'string') return Number(v.$real);
    if (typeof v.$blob === 'string') {
      const bytes = Buffer.from(v.$blob, 'base64');
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }
  }
  return value as Value;
}
