import type { Engine } from '../sqlite3/engine.ts';
import { SQLITE_DONE, SQLITE_OK, SQLITE_ROW, SQLITE_STMTSTATUS_REPREPARE } from '../sqlite3/constants.ts';
import { bindValue, readColumn, readColumnBigInt, readColumnSafeNumber, type SqlValue } from '../sqlite3/values.ts';
import { busyError, type Connection } from './connection.ts';
import type { Database } from './database.ts';
import { compileExpandedReader, compileRowReader, type ColumnReader } from './row-reader.ts';
import { StatementIterator } from './statement-iterator.ts';

/** What `Statement.run()` returns. */
export interface RunResult {
  /** Rows inserted, updated or deleted by this statement (0 if it changed nothing). */
  changes: number;
  /** The rowid of the last inserted row on this connection; a bigint with safeIntegers or beyond 2^53. */
  lastInsertRowid: number | bigint;
}

/** One result column of a statement, as `Statement.columns()` describes it. */
export interface ColumnDefinition {
  /** The column's name in the result (after `AS`). */
  name: string;
  /** The table column it comes from, or null for an expression. */
  column: string | null;
  /** The table it comes from, or null for an expression. */
  table: string | null;
  /** The schema (`main`, `temp`, an attached name), or null for an expression. */
  database: string | null;
  /** The declared type of the table column (`INTEGER`, `TEXT`, …), or null. */
  type: string | null;
}

const Mode = { Object: 0, Pluck: 1, Raw: 2, Expand: 3 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];

interface ParameterPlan {
  /** Total parameters (`sqlite3_bind_parameter_count`). */
  count: number;
  /** Indexes bound from positional values: `?` and `?NNN`. */
  positional: number[];
  /** Named parameters: index, the key without its prefix, and the full name. */
  named: Array<[index: number, key: string, full: string]>;
}

function checkToggle(toggle: unknown): void {
  if (typeof toggle !== 'boolean') throw new TypeError('Expected first argument to be a boolean');
}

function isBinary(v: object): boolean {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

function isNamedParameterObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * A prepared statement, better-sqlite3's shape. Made by `Database.prepare(sql)` and reused:
 * each call binds the parameters, runs, and resets the statement.
 *
 * Parameters are positional (`?`, `?NNN`: one value each, arrays are spread) or named
 * (`:a`, `@a`, `$a`: one plain object, keys without the prefix). A wrong count is a RangeError,
 * an unsupported value a TypeError naming the parameter; SQLite's own failures are
 * `SqliteError`s. The statement stays usable after any of them.
 *
 * @example
 * const byId = db.prepare('SELECT * FROM users WHERE id = ?');
 * const user = byId.get(42);            // { id: 42, name: 'Ada' } or undefined
 * db.prepare('INSERT INTO users (name) VALUES (@name)').run({ name: 'Ada' });
 */
export class Statement<Row = Record<string, SqlValue>> {
  /** The SQL text this statement was prepared from. */
  readonly source: string;
  /** True if the statement returns rows (a SELECT, a PRAGMA that reports, `RETURNING`). */
  readonly reader: boolean;
  /** True if SQLite reports the statement cannot change the database (`sqlite3_stmt_readonly`). */
  readonly readonly: boolean;
  /** The database that prepared this statement. */
  readonly database: Database;

  readonly #connection: Connection;
  readonly #engine: Engine;
  readonly #ptr: number;
  #params: ParameterPlan | undefined;
  #mode: Mode = Mode.Object;
  #safeIntegers: boolean;
  /** INTEGERs beyond ±(2^53 − 1) are RangeErrors (the Client's `intMode: 'number'`), see {@link safeRangeNumbers}. */
  #safeRangeNumbers = false;
  #bound = false;
  #locked = false;
  #row: ((e: Engine, stmt: number) => unknown) | undefined;
  #reprepares = 0;

  /** @internal Created by `Database.prepare`. */
  constructor(connection: Connection, ptr: number, source: string, safeIntegers: boolean, database: Database) {
    this.#connection = connection;
    this.database = database;
    this.#engine = connection.engine;
    this.#ptr = ptr;
    this.source = source;
    this.reader = this.#engine.x.sqlite3_column_count(ptr) > 0;
    this.readonly = this.#engine.x.sqlite3_stmt_readonly(ptr) !== 0;
    this.#safeIntegers = safeIntegers;
  }

  /**
   * Whether this is an `EXPLAIN` or `EXPLAIN QUERY PLAN` statement (`sqlite3_stmt_isexplain`; a
   * wasmlite extension). Such a statement opens no transaction, so it never notices that another
   * connection changed the schema: the Client checks the schema before it compiles one.
   *
   * @example
   * db.prepare('EXPLAIN QUERY PLAN SELECT * FROM t').isExplain; // true
   */
  get isExplain(): boolean {
    return this.#engine.x.sqlite3_stmt_isexplain(this.#ptr) !== 0;
  }

  /**
   * Runs the statement to completion and reports its effect.
   * @example db.prepare('DELETE FROM t WHERE id = ?').run(7) // { changes: 1, lastInsertRowid: 3 }
   */
  run(...params: unknown[]): RunResult {
    const c = this.#connection;
    if (c.busy || this.#locked || (c.iterators > 0 && !c.unsafe)) this.#refuse(true);
    const ptr = this.#start(params);
    const x = this.#engine.x;
    const db = c.ptr;
    const before = x.sqlite3_total_changes(db);
    const rc = this.#step(ptr);
    if (rc !== SQLITE_ROW && rc !== SQLITE_DONE) this.#fail(rc);
    x.sqlite3_reset(ptr);
    const changes = x.sqlite3_total_changes(db) === before ? 0 : x.sqlite3_changes(db);
    const rowid = x.sqlite3_last_insert_rowid(db);
    const small = rowid <= 9007199254740991n && rowid >= -9007199254740991n;
    return { changes, lastInsertRowid: this.#safeIntegers || !small ? rowid : Number(rowid) };
  }

  /**
   * Returns the first row (an object, or per `pluck`/`raw`/`expand`), or `undefined` if none.
   * @example db.prepare('SELECT name FROM users WHERE id = ?').pluck().get(1) // 'Ada'
   */
  get(...params: unknown[]): Row | undefined {
    const ptr = this.#startReader(params, 'get');
    const rc = this.#step(ptr);
    if (rc === SQLITE_ROW) {
      try {
        return this.#readRow(ptr) as Row;
      } finally {
        this.#engine.x.sqlite3_reset(ptr);
      }
    }
    if (rc !== SQLITE_DONE) this.#fail(rc);
    this.#engine.x.sqlite3_reset(ptr);
    return undefined;
  }

  /**
   * Returns every row.
   * @example db.prepare('SELECT * FROM users WHERE age > ?').all(30)
   */
  all(...params: unknown[]): Row[] {
    const ptr = this.#startReader(params, 'all');
    const x = this.#engine.x;
    const rows: Row[] = [];
    const c = this.#connection;
    if (c.verbose !== undefined) c.log(ptr);
    c.busy = true;
    try {
      let rc = x.sqlite3_step(ptr);
      if (rc === SQLITE_ROW) {
        const read = this.#reader(ptr);
        const e = this.#engine;
        do {
          rows.push(read(e, ptr) as Row);
          rc = x.sqlite3_step(ptr);
        } while (rc === SQLITE_ROW);
      }
      if (rc !== SQLITE_DONE) {
        c.busy = false;
        this.#fail(rc);
      }
    } finally {
      c.busy = false;
      x.sqlite3_reset(ptr);
    }
    return rows;
  }

  /**
   * Returns an iterator over the rows, reading one row per step: memory stays flat for results
   * of any size. The parameters are checked and bound at this call. While the iterator is open
   * the statement cannot run again (`busy` is true), and the connection runs only reads (no
   * `exec`, `run()`, `close()`… unless `unsafeMode()`); `break` or `return()` ends it.
   * @example for (const row of db.prepare('SELECT * FROM big').iterate()) { … }
   */
  iterate(...params: unknown[]): IterableIterator<Row> {
    const ptr = this.#startReader(params, 'iterate');
    const c = this.#connection;
    c.iterators++;
    this.#locked = true;
    return new StatementIterator<Row>(
      c,
      ptr,
      () => this.#reader(ptr),
      () => {
        this.#locked = false;
        c.iterators--;
      },
    );
  }

  /** True while an iterator of this statement is open. */
  get busy(): boolean {
    return this.#locked;
  }

  /** Makes `get`/`all`/`iterate` return the first column's value instead of a row. */
  pluck<T = SqlValue>(toggle = true): Statement<T> {
    return this.#setMode(Mode.Pluck, toggle, 'pluck') as unknown as Statement<T>;
  }

  /** Makes `get`/`all`/`iterate` return rows as arrays of values. */
  raw<T extends unknown[] = SqlValue[]>(toggle = true): Statement<T> {
    return this.#setMode(Mode.Raw, toggle, 'raw') as unknown as Statement<T>;
  }

  /** Makes rows nested by table: `{ users: { id, name }, $: { count } }`. */
  expand<T = Record<string, Record<string, SqlValue>>>(toggle = true): Statement<T> {
    return this.#setMode(Mode.Expand, toggle, 'expand') as unknown as Statement<T>;
  }

  /** Makes INTEGER results (and `lastInsertRowid`) bigints for this statement. */
  safeIntegers(toggle = true): this {
    this.#checkUnlocked();
    checkToggle(toggle);
    this.#safeIntegers = toggle;
    this.#row = undefined;
    return this;
  }

  /**
   * @internal Makes an INTEGER result outside ±(2^53 − 1) a RangeError even where a double holds
   * it exactly, as @libsql/client's `intMode: 'number'` does (the Client's rows); without it only
   * INTEGERs a double cannot hold are. No effect with {@link safeIntegers}.
   * @example stmt.raw().safeRangeNumbers();
   */
  safeRangeNumbers(): this {
    this.#safeRangeNumbers = true;
    this.#row = undefined;
    return this;
  }

  /**
   * Binds parameters once for all later calls (which then take none).
   * @example const stmt = db.prepare('SELECT * FROM t WHERE id = ?').bind(1); stmt.get();
   */
  bind(...params: unknown[]): this {
    if (this.#bound) throw new TypeError('The bind() method can only be invoked once per statement object');
    this.#checkUsable();
    if (this.#bound) throw new TypeError('The bind() method can only be invoked once per statement object');
    this.#bind(params);
    this.#bound = true;
    return this;
  }

  /** Describes the result columns (name, source table/column, declared type). */
  columns(): ColumnDefinition[] {
    if (!this.reader) throw new TypeError('The columns() method is only for statements that return data');
    this.#connection.checkNotBusy();
    const { x } = this.#engine;
    const e = this.#engine;
    const ptr = this.#ptr;
    const out: ColumnDefinition[] = [];
    for (let i = 0, n = x.sqlite3_column_count(ptr); i < n; i++) {
      out.push({
        name: e.cstring(x.sqlite3_column_name(ptr, i)) ?? '',
        column: e.cstring(x.sqlite3_column_origin_name(ptr, i)),
        table: e.cstring(x.sqlite3_column_table_name(ptr, i)),
        database: e.cstring(x.sqlite3_column_database_name(ptr, i)),
        type: e.cstring(x.sqlite3_column_decltype(ptr, i)),
      });
    }
    return out;
  }

  /**
   * @internal How many times SQLite has re-prepared the statement after a schema change; column
   * names cached by a caller (the Client's result shapes) are stale once this moves.
   */
  get reprepares(): number {
    this.#connection.checkNotBusy();
    return this.#engine.x.sqlite3_stmt_status(this.#ptr, SQLITE_STMTSTATUS_REPREPARE, 0);
  }

  #setMode(mode: Mode, toggle: boolean, method: string): this {
    if (!this.reader) throw new TypeError(`The ${method}() method is only for statements that return data`);
    this.#checkUnlocked();
    checkToggle(toggle);
    if (toggle) this.#mode = mode;
    else if (this.#mode === mode) this.#mode = Mode.Object;
    this.#row = undefined;
    return this;
  }

  /** Open, not inside another statement's run, and not iterating itself. */
  #checkUsable(): void {
    this.#connection.checkNotBusy();
    this.#checkUnlocked();
  }

  /** Refuses a change of mode while the connection runs a statement or this one iterates. */
  #checkUnlocked(): void {
    if (this.#connection.busy) throw busyError();
    if (this.#locked) throw new TypeError('This statement is busy executing a query');
  }

  /** Throws why `run()` cannot start now. */
  #refuse(mutates: boolean): never {
    this.#checkUsable();
    if (mutates) this.#connection.checkIdle(true);
    throw busyError();
  }

  /** Logs (`verbose`) and steps once, with the connection marked busy meanwhile. */
  #step(ptr: number): number {
    const c = this.#connection;
    if (c.verbose !== undefined) c.log(ptr);
    c.busy = true;
    try {
      return this.#engine.x.sqlite3_step(ptr);
    } finally {
      c.busy = false;
    }
  }

  #start(params: unknown[]): number {
    this.#checkUsable();
    if (this.#bound) {
      if (params.length !== 0) throw new TypeError('This statement already has bound parameters');
    } else {
      this.#bind(params);
    }
    return this.#ptr;
  }

  #startReader(params: unknown[], method: string): number {
    if (!this.reader) throw new TypeError(`This statement does not return data. Use run() instead of ${method}()`);
    if (this.#connection.busy || this.#locked) this.#checkUsable();
    return this.#start(params);
  }

  #fail(rc: number): never {
    const error = this.#connection.error(rc);
    this.#engine.x.sqlite3_reset(this.#ptr);
    throw error;
  }

  #bind(params: unknown[]): void {
    const plan = (this.#params ??= this.#plan());
    const e = this.#engine;
    const ptr = this.#ptr;
    if (plan.named.length === 0 && params.length === plan.positional.length) {
      for (let i = 0; i < params.length; i++) {
        const v = params[i];
        if (typeof v === 'object' && v !== null && (Array.isArray(v) || isNamedParameterObject(v))) {
          return this.#bindMixed(plan, params);
        }
        const rc = bindValue(e, ptr, plan.positional[i]!, v, i + 1);
        if (rc !== SQLITE_OK) this.#connection.check(rc);
      }
      return;
    }
    this.#bindMixed(plan, params);
  }

  #bindMixed(plan: ParameterPlan, params: unknown[]): void {
    const positional: unknown[] = [];
    let named: Record<string, unknown> | undefined;
    for (const p of params) {
      // A loop, not push(...p): spreading a million values would overflow the call stack.
      if (Array.isArray(p)) for (const v of p) positional.push(v);
      else if (isNamedParameterObject(p)) {
        if (named !== undefined) throw new TypeError('You cannot specify named parameters in two different objects');
        named = p;
      } else if (
        plan.named.length > 0 &&
        ((typeof p === 'object' && p !== null && !isBinary(p)) || typeof p === 'function')
      ) {
        throw new TypeError('Named parameters can only be passed within plain objects');
      } else positional.push(p);
    }
    if (positional.length < plan.positional.length) throw new RangeError('Too few parameter values were provided');
    if (positional.length > plan.positional.length) throw new RangeError('Too many parameter values were provided');
    // As in better-sqlite3, an object given to a statement without named parameters binds nothing.
    const e = this.#engine;
    const ptr = this.#ptr;
    for (let i = 0; i < positional.length; i++) {
      const rc = bindValue(e, ptr, plan.positional[i]!, positional[i], i + 1);
      if (rc !== SQLITE_OK) this.#connection.check(rc);
    }
    if (plan.named.length === 0) return;
    if (named === undefined) throw new TypeError('Missing named parameters: give one object with a key per parameter');
    for (const [index, key, full] of plan.named) {
      let value: unknown;
      if (Object.hasOwn(named, key)) value = named[key];
      else if (Object.hasOwn(named, full)) value = named[full];
      else throw new RangeError(`Missing named parameter "${key}"`);
      const rc = bindValue(e, ptr, index, value, full);
      if (rc !== SQLITE_OK) this.#connection.check(rc);
    }
  }

  #plan(): ParameterPlan {
    const { x } = this.#engine;
    const count = x.sqlite3_bind_parameter_count(this.#ptr);
    const plan: ParameterPlan = { count, positional: [], named: [] };
    for (let i = 1; i <= count; i++) {
      const name = this.#engine.cstring(x.sqlite3_bind_parameter_name(this.#ptr, i));
      if (name === null || name.startsWith('?')) plan.positional.push(i);
      else plan.named.push([i, name.slice(1), name]);
    }
    return plan;
  }

  #readRow(ptr: number): unknown {
    return this.#reader(ptr)(this.#engine, ptr);
  }

  /** The row builder for the current mode; rebuilt when SQLite re-prepared the statement. */
  #reader(ptr: number): (e: Engine, stmt: number) => unknown {
    const reprepares = this.#engine.x.sqlite3_stmt_status(ptr, SQLITE_STMTSTATUS_REPREPARE, 0);
    if (this.#row === undefined || reprepares !== this.#reprepares) {
      this.#reprepares = reprepares;
      this.#row = this.#compile(ptr);
    }
    return this.#row;
  }

  #compile(ptr: number): (e: Engine, stmt: number) => unknown {
    const read: ColumnReader = this.#safeIntegers
      ? readColumnBigInt
      : this.#safeRangeNumbers
        ? readColumnSafeNumber
        : readColumn;
    const { x } = this.#engine;
    const n = x.sqlite3_column_count(ptr);
    switch (this.#mode) {
      case Mode.Pluck:
        return (e, s) => read(e, s, 0);
      case Mode.Raw:
        return (e, s) => {
          const row = new Array<SqlValue>(n);
          for (let i = 0; i < n; i++) row[i] = read(e, s, i);
          return row;
        };
      case Mode.Expand: {
        const names: string[] = [];
        const tables: string[] = [];
        for (let i = 0; i < n; i++) {
          names.push(this.#engine.cstring(x.sqlite3_column_name(ptr, i)) ?? '');
          tables.push(this.#engine.cstring(x.sqlite3_column_table_name(ptr, i)) ?? '$');
        }
        return compileExpandedReader(tables, names, read);
      }
      default: {
        const names: string[] = [];
        for (let i = 0; i < n; i++) names.push(this.#engine.cstring(x.sqlite3_column_name(ptr, i)) ?? '');
        return compileRowReader(names, read);
      }
    }
  }
}
