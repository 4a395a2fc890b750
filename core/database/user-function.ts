import { SQLITE_DETERMINISTIC, SQLITE_DIRECTONLY, SQLITE_OK, SQLITE_UTF8 } from '../sqlite3/constants.ts';
import { readValues, setResult, type SqlValue } from '../sqlite3/values.ts';
import { functionLength } from '../util/option-checks.ts';
import type { Connection } from './connection.ts';
import { failCall } from './user-code-error.ts';

/** Options of `Database.function()`. */
export interface FunctionOptions {
  /** Same arguments always give the same result (lets SQLite use it in indexes). */
  deterministic?: boolean;
  /** Accept any number of arguments (default: exactly `fn.length`). */
  varargs?: boolean;
  /** Callable only from top-level SQL, not from views or triggers. */
  directOnly?: boolean;
  /** Pass INTEGER arguments as bigints. */
  safeIntegers?: boolean;
}

/** The most arguments a user-defined function or aggregate may declare (better-sqlite3's limit). */
export const MAX_FUNCTION_ARGUMENTS = 100;

/**
 * Registers the scalar SQL function `name` (better-sqlite3's `db.function(name, [options], fn)`)
 * on the connection and returns its function-table pointer, which the caller frees once the
 * connection is closed. `safeIntegers` is the database's default for INTEGER arguments. Argument
 * mistakes are TypeErrors (a RangeError past 100 arguments), thrown before anything is
 * registered; a busy connection is better-sqlite3's TypeError; SQLite's refusal a `SqliteError`.
 * An exception thrown by `fn` fails the statement and reaches its caller unchanged.
 *
 * @example
 * const ptr = registerFunction(connection, 'twice', (x) => Number(x) * 2, undefined, false);
 */
export function registerFunction(
  c: Connection,
  name: string,
  optionsOrFn: FunctionOptions | ((...args: SqlValue[]) => unknown),
  maybeFn: ((...args: SqlValue[]) => unknown) | undefined,
  safeIntegers: boolean,
): number {
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  const options: FunctionOptions = typeof optionsOrFn === 'function' ? {} : (optionsOrFn ?? {});
  if (typeof name !== 'string') throw new TypeError('Expected first argument to be a string');
  if (typeof fn !== 'function') throw new TypeError('Expected last argument to be a function');
  if (typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
  if (name === '') throw new TypeError('User-defined function name cannot be an empty string');
  for (const key of ['safeIntegers', 'deterministic', 'directOnly', 'varargs'] as const) {
    if (key in options && typeof options[key] !== 'boolean')
      throw new TypeError(`Expected the "${key}" option to be a boolean`);
  }
  if (!options.varargs) {
    if (functionLength(fn) > MAX_FUNCTION_ARGUMENTS)
      throw new RangeError(`User-defined functions cannot have more than ${MAX_FUNCTION_ARGUMENTS} arguments`);
  }
  c.checkIdle(false);
  const db = c.ptr;
  const e = c.engine;
  const bigints = options.safeIntegers ?? safeIntegers;
  const callback = (ctx: number, argc: number, argv: number): void => {
    try {
      setResult(e, ctx, fn(...readValues(e, argc, argv, bigints)));
    } catch (error) {
      failCall(c, ctx, error);
    }
  };
  const ptr = e.installFunction(callback as (...args: never[]) => unknown, 'v(pip)');
  let flags = SQLITE_UTF8;
  if (options.deterministic) flags |= SQLITE_DETERMINISTIC;
  if (options.directOnly) flags |= SQLITE_DIRECTONLY;
  const rc = e.x.sqlite3_create_function_v2(db, e.cstr(name), options.varargs ? -1 : fn.length, flags, 0, ptr, 0, 0, 0);
  if (rc !== SQLITE_OK) {
    e.uninstallFunction(ptr);
    throw c.error(rc);
  }
  return ptr;
}
