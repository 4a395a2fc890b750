import type { SqlValue } from '../../core/index.ts';
import { RequestError } from '../primary/request-error.ts';
import type { BatchMode, StatementInput } from '../primary/statement-executor.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const INTEGER = /^-?\d{1,20}$/;
const REAL = /^(-?Infinity|-?\d+(\.\d+)?(e[+-]?\d+)?)$/;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
const MODES = new Set(['write', 'read', 'deferred']);
/**
 * SQLite's ceiling on a statement's parameters (`SQLITE_MAX_VARIABLE_NUMBER`, the build's
 * `SQLITE_LIMIT_VARIABLE_NUMBER`): more arguments than that can never all bind, so they are
 * refused before anything decodes or binds them.
 */
const MAX_ARGUMENTS = 32766;

function bad(message: string): RequestError {
  return new RequestError(400, 'BAD_REQUEST', message);
}

/**
 * A JSON value as an SQLite value: null, a number, a string, `{ "$bigint": "-12" }` (a 64-bit
 * integer), `{ "$real": "Infinity" }` (a float JSON cannot write) or `{ "$blob": "<base64>" }`. Anything else is a {@link RequestError} 400 naming `where`.
 *
 * @example
 * decodeValue({ $blob: 'AAE=' }, 'args[0]'); // Uint8Array [0, 1]
 */
export function decodeValue(value: unknown, where: string): SqlValue {
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw bad(`Expected ${where} to be a finite number`);
    return value;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const v = value as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === '$bigint' && typeof v.$bigint === 'string' && INTEGER.test(v.$bigint)) {
      const n = BigInt(v.$bigint);
      if (n >= MIN_I64 && n <= MAX_I64) return n;
    }
    if (keys.length === 1 && keys[0] === '$real' && typeof v.$real === 'string' && REAL.test(v.$real)) return Number(v.$real);
    if (keys.length === 1 && keys[0] === '$blob' && typeof v.$blob === 'string' && BASE64.test(v.$blob) && v.$blob.length % 4 === 0) {
      return new Uint8Array(Buffer.from(v.$blob, 'base64'));
    }
  }
  throw bad(`Expected ${where} to be null, a number, a string, { "$bigint": "<64-bit integer>" }, { "$real": "<number>" } or { "$blob": "<base64>" }`);
}

/**
 * An SQLite value as JSON, keeping INTEGER and REAL apart: an integer is a JSON number while it is
 * safe, else `{ "$bigint" }`; a REAL is a JSON number when it has a fraction, else
 * `{ "$real": "2" }` (also for infinities and -0, which JSON cannot write); a blob is
 * `{ "$blob": "<base64>" }`. Values must come from a statement read with `safeIntegers`, so that
 * every INTEGER is a bigint and every number a REAL.
 *
 * @example
 * encodeValue(2n ** 60n); // { $bigint: '1152921504606846976' }
 * encodeValue(2.0);       // { $real: '2' }
 */
export function encodeValue(value: SqlValue): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : { $bigint: value.toString() };
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value) && !Number.isInteger(value)) return value;
    return { $real: Object.is(value, -0) ? '-0' : String(value) };
  }
  if (value instanceof Uint8Array) return { $blob: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

function checkObject(value: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad(`Expected ${where} to be an object`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw bad(`Unknown field "${key}" in ${where}`);
  }
  return value as Record<string, unknown>;
}

/**
 * A `{ sql, args? }` object from a request body. A {@link RequestError} 400 for an unknown field,
 * a wrong type or more arguments than a statement can have.
 *
 * @example
 * decodeStatement({ sql: 'SELECT ?', args: [1] }, 'body');
 */
export function decodeStatement(value: unknown, where: string): StatementInput {
  const o = checkObject(value, where, ['sql', 'args']);
  if (typeof o.sql !== 'string') throw bad(`Expected ${where}.sql to be a string`);
  if (o.args === undefined || o.args === null) return { sql: o.sql };
  const count = Array.isArray(o.args) ? o.args.length : typeof o.args === 'object' ? Object.keys(o.args).length : 0;
  if (count > MAX_ARGUMENTS) {
    throw bad(`Expected ${where}.args to have at most ${MAX_ARGUMENTS} values (SQLite's SQLITE_LIMIT_VARIABLE_NUMBER), got ${count}`);
  }
  if (Array.isArray(o.args)) return { sql: o.sql, args: o.args.map((v, i) => decodeValue(v, `${where}.args[${i}]`)) };
  if (typeof o.args === 'object') {
    const named: Record<string, SqlValue> = {};
    for (const [key, v] of Object.entries(o.args)) named[/^[:@$]/.test(key) ? key.slice(1) : key] = decodeValue(v, `${where}.args.${key}`);
    return { sql: o.sql, args: named };
  }
  throw bad(`Expected ${where}.args to be an array or an object`);
}

/**
 * A `POST /v1/batch` body: `{ statements: [{ sql, args? }], mode? }`.
 *
 * @example
 * decodeBatch({ statements: [{ sql: 'SELECT 1' }], mode: 'read' });
 */
export function decodeBatch(value: unknown): { statements: StatementInput[]; mode: BatchMode | undefined } {
  const o = checkObject(value, 'body', ['statements', 'mode']);
  if (!Array.isArray(o.statements)) throw bad('Expected body.statements to be an array');
  if (o.mode !== undefined && (typeof o.mode !== 'string' || !MODES.has(o.mode))) {
    throw bad('Expected body.mode to be one of write, read, deferred');
  }
  return {
    statements: o.statements.map((s, i) => decodeStatement(s, `body.statements[${i}]`)),
    mode: o.mode as BatchMode | undefined,
  };
}

/**
 * A `POST /v1/transactions` body: `{ mode?, foreignKeys? }` (default `deferred`, enforcement as it is);
 * an empty body is `{}`.
 *
 * @example
 * decodeTransactionBegin({ mode: 'write' }); // { mode: 'write' }
 */
export function decodeTransactionBegin(value: unknown): { mode: BatchMode; foreignKeys?: boolean } {
  if (value === undefined) return { mode: 'deferred' };
  const o = checkObject(value, 'body', ['mode', 'foreignKeys']);
  if (o.mode !== undefined && (typeof o.mode !== 'string' || !MODES.has(o.mode))) {
    throw bad('Expected body.mode to be one of write, read, deferred');
  }
  if (o.foreignKeys !== undefined && typeof o.foreignKeys !== 'boolean') throw bad('Expected body.foreignKeys to be a boolean');
  const mode = (o.mode as BatchMode | undefined) ?? 'deferred';
  return o.foreignKeys === undefined ? { mode } : { mode, foreignKeys: o.foreignKeys };
}

/**
 * A `POST /v1/script` body: `{ sql }`, a script of one or more statements.
 *
 * @example
 * decodeScript({ sql: 'CREATE TABLE a (x); CREATE TABLE b (y);' }); // { sql: '…' }
 */
export function decodeScript(value: unknown): { sql: string } {
  const o = checkObject(value, 'body', ['sql']);
  if (typeof o.sql !== 'string') throw bad('Expected body.sql to be a string');
  return { sql: o.sql };
}
