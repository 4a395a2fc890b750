import type { SqlValue } from '../../core/index.ts';
import { RequestError } from '../primary/request-error.ts';
import type { BatchMode, StatementInput } from '../primary/statement-executor.ts';
import { ARGUMENT_FORMS, decodeArgument } from './wire-values.ts';

const MODES = new Set(['write', 'read', 'deferred']);
/**
 * SQLite's ceiling on a statement's parameters (`SQLITE_MAX_VARIABLE_NUMBER`, the build's
 * `SQLITE_LIMIT_VARIABLE_NUMBER`): more arguments than that can never all bind, so they are
 * refused before anything decodes or binds them.
 */
const MAX_ARGUMENTS = 32766;

function bad(message: string): RequestError {
  return new RequestError('BAD_REQUEST', message);
}

/**
 * A statement argument from a request body as an SQLite value (see wire-values.ts); a
 * {@link RequestError} 400 naming `where` for anything else.
 *
 * @example
 * decodeValue({ $blob: 'AAE=' }, 'args[0]'); // Uint8Array [0, 1]
 */
export function decodeValue(value: unknown, where: string): SqlValue {
  const decoded = decodeArgument(value);
  if (decoded === undefined) throw bad(`Expected ${where} to be ${ARGUMENT_FORMS}`);
  return decoded;
}

function checkObject(value: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad(`Expected ${where} to be an object`);
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
    throw bad(
      `Expected ${where}.args to have at most ${MAX_ARGUMENTS} values (SQLite's SQLITE_LIMIT_VARIABLE_NUMBER), got ${count}`,
    );
  }
  if (Array.isArray(o.args)) return { sql: o.sql, args: o.args.map((v, i) => decodeValue(v, `${where}.args[${i}]`)) };
  if (typeof o.args === 'object') {
    const named: Record<string, SqlValue> = {};
    for (const [key, v] of Object.entries(o.args))
      named[/^[:@$]/.test(key) ? key.slice(1) : key] = decodeValue(v, `${where}.args.${key}`);
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
  if (o.foreignKeys !== undefined && typeof o.foreignKeys !== 'boolean')
    throw bad('Expected body.foreignKeys to be a boolean');
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
