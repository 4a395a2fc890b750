import type { Engine } from '../sqlite3/engine.ts';
import { SQLITE_DETERMINISTIC, SQLITE_DIRECTONLY, SQLITE_OK, SQLITE_UTF8 } from '../sqlite3/constants.ts';
import { readValues, setResult, type SqlValue } from '../sqlite3/values.ts';
import { functionLength } from '../util/option-checks.ts';
import type { Connection } from './connection.ts';
import { HandleTable } from './handle-table.ts';
import { failCall } from './user-code-error.ts';
import { MAX_FUNCTION_ARGUMENTS } from './user-function.ts';

/**
 * Options of `Database.aggregate()`, better-sqlite3's.
 *
 * @example
 * const average: AggregateOptions<{ sum: number; n: number }> = {
 *   start: () => ({ sum: 0, n: 0 }),
 *   step: (acc, x) => { acc.sum += x as number; acc.n++; },
 *   inverse: (acc, x) => { acc.sum -= x as number; acc.n--; },
 *   result: (acc) => (acc.n === 0 ? null : acc.sum / acc.n),
 * };
 */
export interface AggregateOptions<Accumulator = any> {
  /**
   * The initial accumulator: a value used as-is by every group (default `null`), or a function
   * called at the start of each group that returns it.
   */
  start?: Accumulator | (() => Accumulator);
  /**
   * Adds one row: called with the accumulator and the row's arguments; a returned value other
   * than `undefined` replaces the accumulator.
   */
  step: (accumulator: Accumulator, ...args: SqlValue[]) => unknown;
  /** Removes a row that left the window (makes the aggregate a window function); returns like `step`. */
  inverse?: (accumulator: Accumulator, ...args: SqlValue[]) => unknown;
  /** Turns the accumulator into the SQL result (default: the accumulator itself). */
  result?: (accumulator: Accumulator) => unknown;
  /** Pass INTEGER arguments as bigints (default: the database's `defaultSafeIntegers`). */
  safeIntegers?: boolean;
  /** Same arguments always give the same result. */
  deterministic?: boolean;
  /** Callable only from top-level SQL, not from views, triggers or schema expressions. */
  directOnly?: boolean;
  /** Accept any number of arguments (default: `step.length - 1`, or `inverse.length - 1` if larger). */
  varargs?: boolean;
}

/** Bytes asked of `sqlite3_aggregate_context`: one marker byte saying the group has started. */
const GROUP_CONTEXT_SIZE = 4;

/** One group's state: its accumulator, and whether user code failed or SQLite asked for a window value. */
interface Group {
  value: unknown;
  failed: boolean;
  window: boolean;
}

type StepFunction = (accumulator: any, ...args: SqlValue[]) => unknown;

/**
 * A registered aggregate: the user's functions and the groups in progress, keyed by the address
 * of their `sqlite3_aggregate_context`, which SQLite hands out zeroed and keeps for one group.
 * The callbacks never throw into WASM: an exception of user code is kept on the connection and
 * the call fails, after which SQLite stops the statement and the caller gets the exception.
 */
class Aggregate {
  readonly #connection: Connection;
  readonly #engine: Engine;
  readonly #start: unknown;
  readonly #step: StepFunction;
  readonly #inverse: StepFunction | null;
  readonly #result: ((accumulator: any) => unknown) | null;
  readonly #bigints: boolean;
  readonly #groups = new Map<number, Group>();

  constructor(
    connection: Connection,
    start: unknown,
    step: StepFunction,
    inverse: StepFunction | null,
    result: ((accumulator: any) => unknown) | null,
    bigints: boolean,
  ) {
    this.#connection = connection;
    this.#engine = connection.engine;
    this.#start = start;
    this.#step = step;
    this.#inverse = inverse;
    this.#result = result;
    this.#bigints = bigints;
  }

  /** xStep (`inverse` false) and xInverse (true). */
  accumulate(ctx: number, argc: number, argv: number, inverse: boolean): void {
    const group = this.#group(ctx, this.#context(ctx));
    if (group === undefined || group.failed) return;
    try {
      const fn = inverse ? this.#inverse! : this.#step;
      const next = fn(group.value, ...readValues(this.#engine, argc, argv, this.#bigints));
      if (next !== undefined) group.value = next;
    } catch (error) {
      group.failed = true;
      failCall(this.#connection, ctx, error);
    }
  }

  /** xValue (`final` false: a window's current value) and xFinal (true: the group is done). */
  finish(ctx: number, final: boolean): void {
    const ptr = this.#context(ctx);
    const group = this.#group(ctx, ptr);
    if (group === undefined) return;
    // A window function's final call only ends the group: its values were reported by xValue.
    if (final && group.window) return this.#end(ptr);
    if (!final) group.window = true;
    if (!group.failed) {
      try {
        const result = this.#result;
        const value = result === null ? group.value : result(group.value);
        setResult(this.#engine, ctx, value);
      } catch (error) {
        group.failed = true;
        failCall(this.#connection, ctx, error);
      }
    }
    if (final) this.#end(ptr);
  }

  #end(ptr: number): void {
    if (this.#groups.delete(ptr)) liveGroups--;
  }

  #context(ctx: number): number {
    const ptr = this.#engine.x.sqlite3_aggregate_context(ctx, GROUP_CONTEXT_SIZE);
    if (ptr === 0) this.#engine.x.sqlite3_result_error_nomem(ctx);
    return ptr;
  }

  /** The group at context `ptr`, started (and `start()` called) on first use. */
  #group(ctx: number, ptr: number): Group | undefined {
    if (ptr === 0) return undefined;
    const u8 = this.#engine.u8;
    if (u8[ptr] !== 0) return this.#groups.get(ptr);
    u8[ptr] = 1;
    const group: Group = { value: this.#start, failed: false, window: false };
    this.#groups.set(ptr, group);
    liveGroups++;
    const start = this.#start;
    if (typeof start === 'function') {
      try {
        group.value = start();
      } catch (error) {
        group.failed = true;
        failCall(this.#connection, ctx, error);
      }
    }
    return group;
  }
}

const aggregates = new HandleTable<Aggregate>();
let liveGroups = 0;

/** The C callbacks shared by every aggregate of an engine, installed into its function table once. */
interface AggregateCallbacks {
  step: number;
  final: number;
  value: number;
  inverse: number;
  destroy: number;
}
const callbacksByEngine = new WeakMap<Engine, AggregateCallbacks>();

function callbacks(e: Engine): AggregateCallbacks {
  let installed = callbacksByEngine.get(e);
  if (installed !== undefined) return installed;
  const install = (fn: (...args: number[]) => void, signature: string) =>
    e.installFunction(fn as (...args: never[]) => unknown, signature);
  // The user data of every aggregate is its id in `aggregates`; an id that is gone can only be
  // met if SQLite called after xDestroy, which it does not.
  const find = (ctx: number) => aggregates.get(e.x.sqlite3_user_data(ctx));
  installed = {
    step: install((ctx, argc, argv) => find(ctx)?.accumulate(ctx, argc, argv, false), 'v(pip)'),
    inverse: install((ctx, argc, argv) => find(ctx)?.accumulate(ctx, argc, argv, true), 'v(pip)'),
    value: install((ctx) => find(ctx)?.finish(ctx, false), 'v(p)'),
    final: install((ctx) => find(ctx)?.finish(ctx, true), 'v(p)'),
    destroy: install((id) => aggregates.delete(id), 'v(p)'),
  };
  callbacksByEngine.set(e, installed);
  return installed;
}

function functionOption(options: Record<string, unknown>, key: string, required: boolean): StepFunction | null {
  const value = key in options ? options[key] : null;
  if (typeof value === 'function') return value as StepFunction;
  if (value !== null && value !== undefined) throw new TypeError(`Expected the "${key}" option to be a function`);
  if (required) throw new TypeError(`Missing required option "${key}"`);
  return null;
}

function booleanOption(options: Record<string, unknown>, key: string): boolean | undefined {
  if (!(key in options)) return undefined;
  if (typeof options[key] !== 'boolean') throw new TypeError(`Expected the "${key}" option to be a boolean`);
  return options[key] as boolean;
}

/**
 * Registers the aggregate `name` described by `options` on the connection (see
 * `Database.aggregate`). With `inverse` it is registered through
 * `sqlite3_create_window_function` with xValue and xInverse, so SQL may use it with `OVER`.
 * Argument mistakes are TypeErrors (RangeError for more than 100 arguments) thrown before
 * anything is registered; SQLite's refusal is a `SqliteError`.
 *
 * @example
 * registerAggregate(connection, 'total', { start: 0, step: (sum, x) => sum + x }, false);
 */
export function registerAggregate(
  connection: Connection,
  name: unknown,
  options: unknown,
  defaultSafeIntegers: boolean,
): void {
  if (typeof name !== 'string') throw new TypeError('Expected first argument to be a string');
  if (typeof options !== 'object' || options === null)
    throw new TypeError('Expected second argument to be an options object');
  if (name === '') throw new TypeError('User-defined function name cannot be an empty string');
  const o = options as Record<string, unknown>;
  const start = 'start' in o ? o.start : null;
  const step = functionOption(o, 'step', true)!;
  const inverse = functionOption(o, 'inverse', false);
  const result = functionOption(o, 'result', false);
  const safeIntegers = booleanOption(o, 'safeIntegers') ?? defaultSafeIntegers;
  const deterministic = booleanOption(o, 'deterministic') ?? false;
  const directOnly = booleanOption(o, 'directOnly') ?? false;
  const varargs = booleanOption(o, 'varargs') ?? false;
  let argumentCount = -1;
  if (!varargs) {
    // The accumulator is the first parameter of step() and inverse(), not an SQL argument.
    argumentCount = Math.max(functionLength(step), inverse === null ? 0 : functionLength(inverse)) - 1;
    if (argumentCount < 0) argumentCount = 0;
    if (argumentCount > MAX_FUNCTION_ARGUMENTS) {
      throw new RangeError(`User-defined functions cannot have more than ${MAX_FUNCTION_ARGUMENTS} arguments`);
    }
  }
  let flags = SQLITE_UTF8;
  if (deterministic) flags |= SQLITE_DETERMINISTIC;
  if (directOnly) flags |= SQLITE_DIRECTONLY;

  const e = connection.engine;
  const db = connection.ptr;
  const c = callbacks(e);
  const id = aggregates.add(new Aggregate(connection, start, step, inverse, result, safeIntegers));
  const text = e.allocCString(name);
  let rc: number;
  try {
    rc = e.x.sqlite3_create_window_function(
      db,
      text,
      argumentCount,
      flags,
      id,
      c.step,
      c.final,
      inverse === null ? 0 : c.value,
      inverse === null ? 0 : c.inverse,
      c.destroy,
    );
  } finally {
    e.x.sqlite3_free(text);
  }
  if (rc !== SQLITE_OK) {
    aggregates.delete(id); // SQLite has called xDestroy already; this makes sure.
    throw connection.error(rc);
  }
}

/** @internal How many aggregates are registered across connections (tests check none leak). */
export function registeredAggregateCount(): number {
  return aggregates.size;
}

/** @internal How many groups have started and not yet been finalized by SQLite (tests check none leak). */
export function liveGroupCount(): number {
  return liveGroups;
}
