import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadEngineSync, type Engine } from '../sqlite3/engine.ts';
import {
  primaryResultCode,
  SQLITE_CANTOPEN,
  SQLITE_DESERIALIZE_FREEONCLOSE,
  SQLITE_DESERIALIZE_READONLY,
  SQLITE_DESERIALIZE_RESIZEABLE,
  SQLITE_ERROR,
  SQLITE_NOMEM,
  SQLITE_OK,
  SQLITE_ROW,
  SQLITE_OPEN_CREATE,
  SQLITE_OPEN_EXRESCODE,
  SQLITE_OPEN_READONLY,
  SQLITE_OPEN_READWRITE,
  SQLITE_PREPARE_PERSISTENT,
} from '../sqlite3/constants.ts';
import type { SqlValue } from '../sqlite3/values.ts';
import { isNonNegativeInteger } from '../util/option-checks.ts';
import { defaultVfs } from '../vfs/index.ts';
import { registerAggregate, type AggregateOptions } from './aggregate.ts';
import { installAuthorizer, type Authorizer } from './authorizer.ts';
import { checkAttached, checkBackupArguments, runBackup, type BackupOptions, type BackupResult } from './backup.ts';
import { Connection, sqliteError } from './connection.ts';
import { SqliteError, type SqliteErrorConstructor } from './sqlite-error.ts';
import { Statement } from './statement.ts';
import type { TableDefinition, TableFactory } from './table-definition.ts';
import { wrapTransaction, type TransactionFunction, type TransactionStatements } from './transaction.ts';
import { installProgressHandler } from './progress-handler.ts';
import { registerFunction, type FunctionOptions } from './user-function.ts';
import { registerTable } from './virtual-table.ts';

export type { FunctionOptions } from './user-function.ts';

/** Journal modes a database can be opened with. */
export type JournalMode = 'wal' | 'delete' | 'truncate' | 'persist' | 'memory' | 'off';

/** Options of {@link open}. */
export interface OpenOptions {
  /** Open read-only (default false). Writes fail with `SQLITE_READONLY`. */
  readonly?: boolean;
  /** Fail with `SQLITE_CANTOPEN` instead of creating a missing file (default false). */
  fileMustExist?: boolean;
  /** How long to wait for a lock held by another connection, in ms (default 5000). */
  timeout?: number;
  /** Return INTEGER values as bigints from every statement (default false). */
  safeIntegers?: boolean;
  /** Journal mode set at open; default `'wal'` for files, SQLite's default for `:memory:`. */
  journalMode?: JournalMode;
  /**
   * Enforce foreign keys (`PRAGMA foreign_keys`) from the start (default true, as in
   * better-sqlite3; SQLite's own default is off). A replication primary's writer connection keeps
   * this default, so replica clients see the same enforcement as local ones.
   */
  foreignKeys?: boolean;
  /** Name of a registered VFS to use instead of wasmlite's node:fs VFS (tests, `MemoryVfs`). */
  vfs?: string;
  /**
   * Called with the SQL of every statement the connection runs (parameters expanded), before it
   * runs, as better-sqlite3's `verbose`; if it throws, the statement does not run.
   */
  verbose?: ((sql: string) => void) | null;
}

/** Options of `Database.serialize()`. */
export interface SerializeOptions {
  /** The schema to serialize: `main` (default), `temp` or an attached database's name. */
  attached?: string;
}

const JOURNAL_MODES = new Set<string>(['wal', 'delete', 'truncate', 'persist', 'memory', 'off']);
const OPEN_OPTIONS = new Set<string>([
  'readonly',
  'fileMustExist',
  'timeout',
  'safeIntegers',
  'journalMode',
  'foreignKeys',
  'vfs',
  'verbose',
  'nativeBinding',
]);
// better-sqlite3 compiles SQLite with SQLITE_MAX_FUNCTION_ARG's old default; its check is kept.
const registry = new FinalizationRegistry<{ connection: Connection; ptr: number }>(({ connection, ptr }) => {
  if (connection.isOpen && connection.statements.delete(ptr)) connection.engine.x.sqlite3_finalize(ptr);
});

/**
 * Checks `open()`'s arguments the way every wasmlite entry point words them (better-sqlite3's
 * wording): a key that is present is checked even if its value is `undefined`, and an unknown
 * key is a TypeError, so a misspelled option never silently does nothing. `fromImage`: the
 * database is opened from bytes, which may be read-only although it lives in memory.
 */
export function checkOpenArguments(path: unknown, options: unknown, fromImage = false): asserts options is OpenOptions {
  if (typeof path !== 'string') throw new TypeError('Expected first argument to be a string');
  if (options === null || typeof options !== 'object')
    throw new TypeError('Expected second argument to be an options object');
  const o = options as Record<string, unknown>;
  if ('readOnly' in o) throw new TypeError('Misspelled option "readOnly" should be "readonly"');
  if ('memory' in o) throw new TypeError('Option "memory" is not supported (use ":memory:" as the filename instead)');
  for (const key of Object.keys(o)) {
    if (!OPEN_OPTIONS.has(key)) throw new TypeError(`Unknown option "${key}"`);
  }
  for (const key of ['readonly', 'fileMustExist', 'safeIntegers', 'foreignKeys'] as const) {
    if (key in o && typeof o[key] !== 'boolean') throw new TypeError(`Expected the "${key}" option to be a boolean`);
  }
  if ('timeout' in o) {
    // better-sqlite3's words, though 0 (do not wait) is allowed.
    if (!isNonNegativeInteger(o.timeout)) throw new TypeError('Expected the "timeout" option to be a positive integer');
    if ((o.timeout as number) > 0x7fffffff) throw new RangeError('Option "timeout" cannot be greater than 2147483647');
  }
  if (o.journalMode !== undefined && !JOURNAL_MODES.has(String(o.journalMode).toLowerCase())) {
    throw new TypeError('Expected the "journalMode" option to be one of wal, delete, truncate, persist, memory, off');
  }
  if (o.vfs !== undefined && typeof o.vfs !== 'string') throw new TypeError('Expected the "vfs" option to be a string');
  if (o.verbose != null && typeof o.verbose !== 'function')
    throw new TypeError('Expected the "verbose" option to be a function');
  if (o.nativeBinding != null) {
    throw new TypeError(
      'The "nativeBinding" option has no meaning in wasmlite: SQLite runs as WebAssembly, ' +
        'there is no native addon to load',
    );
  }
  if (o.readonly === true && !fromImage && isAnonymous(path)) {
    throw new TypeError('In-memory/temporary databases cannot be readonly');
  }
}

/** `:memory:` and `''` (a private temporary database) name no file. */
function isAnonymous(path: string): boolean {
  return path === ':memory:' || path === '';
}

// Set by Database's static block: the one way past close()'s refusal while iterating.
let closeAnyway: (db: Database) => void;

/**
 * A connection to one SQLite database, synchronous, in better-sqlite3's shape:
 * `new Database(path, options)` opens (or creates) the file, and every call after that runs the
 * WebAssembly engine directly. The engine is instantiated, synchronously, by the first
 * connection of the process (a few ms).
 *
 * `path` is a file (relative to the working directory), `':memory:'` for a private in-memory
 * database, `''` or nothing for a private temporary one; a `Uint8Array` (a `Buffer`, or what
 * `serialize()` returns, WAL databases included) opens an in-memory copy of that database image.
 *
 * Errors from SQLite are {@link SqliteError}s (`SQLITE_CANTOPEN` with the Node error as `cause`,
 * `SQLITE_NOTADB`, `SQLITE_BUSY` naming the process that owns the file); argument mistakes are
 * TypeErrors or RangeErrors thrown before any work; after either, a connection stays usable.
 *
 * @example
 * import Database from 'wasmlite';
 * const db = new Database('app.db');
 * db.exec('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)');
 * db.prepare('INSERT INTO users (name) VALUES (?)').run('Ada');
 * db.prepare('SELECT * FROM users').all(); // [{ id: 1, name: 'Ada' }]
 * db.close();
 */
export class Database {
  /**
   * The engine's error class on the constructor too, as better-sqlite3 has it, so that code
   * written against its default export keeps working.
   * @example catch (e) { if (e instanceof Database.SqliteError && e.code === 'SQLITE_BUSY') … }
   */
  static readonly SqliteError: SqliteErrorConstructor = SqliteError;

  /** The path (or `:memory:`) as given; `:memory:` for a database opened from bytes. */
  readonly name: string;
  /** True for `:memory:`, temporary (`''`) and deserialized databases. */
  readonly memory: boolean;
  /** True if the connection was opened read-only. */
  readonly readonly: boolean;

  readonly #connection: Connection;
  readonly #engine: Engine;
  readonly #functions: number[] = [];
  /** The function-table slot of the installed authorizer, 0 for none. */
  #authorizer = 0;
  readonly #vfs: string;
  #safeIntegers: boolean;
  #preparedTransactionStatements: TransactionStatements | undefined;
  /** The installed progress handler's function table slot, 0 if none. */
  #progress = 0;

  /**
   * Opens `path` (see the class). `options` as for {@link open}; `undefined`/`null` for either
   * argument means the default (a temporary database, no options), as in better-sqlite3.
   * @example const db = new Database(':memory:', { safeIntegers: true });
   */
  constructor(path?: string | Uint8Array | null, options?: OpenOptions | null) {
    const image = path instanceof Uint8Array ? path : undefined;
    const filename = path instanceof Uint8Array ? ':memory:' : (path ?? '');
    const opts = options ?? {};
    checkOpenArguments(filename, opts, image !== undefined);
    const engine = loadEngineSync();
    this.#engine = engine;
    this.name = filename;
    this.memory = filename === ':memory:' || filename === '';
    this.readonly = opts.readonly ?? false;
    this.#safeIntegers = opts.safeIntegers ?? false;
    this.#vfs = opts.vfs ?? defaultVfs(engine).name;
    this.#connection = new Connection(
      engine,
      openHandle(engine, this.memory ? filename : resolve(filename), openFlags(opts), this.#vfs),
    );
    try {
      const x = engine.x;
      x.sqlite3_extended_result_codes(this.#connection.ptr, 1);
      x.sqlite3_busy_timeout(this.#connection.ptr, opts.timeout ?? 5000);
      if (image !== undefined) deserialize(this.#connection, image, this.readonly);
      // The WASM build defaults to 8 KiB pages; native SQLite and the OS use 4 KiB, which halves
      // what a small commit writes and what a cache miss reads, and lets a :memory: database be
      // backed up into a WAL file (SQLite refuses differing page sizes there). Only a new, empty
      // database takes it.
      if (!this.readonly) this.exec('PRAGMA page_size = 4096');
      if (opts.foreignKeys ?? true) this.exec('PRAGMA foreign_keys = ON');
      const mode = opts.journalMode ?? (this.memory ? undefined : 'wal');
      if (mode !== undefined && !this.readonly) {
        const got = String(this.prepare(`PRAGMA journal_mode = ${mode}`).pluck().get()).toLowerCase();
        if (got !== mode.toLowerCase() && !(this.memory && got === 'memory')) {
          throw new TypeError(`Could not set journal mode ${mode}: SQLite kept ${got}`);
        }
      }
    } catch (error) {
      this.#connection.close();
      throw error;
    }
    this.#connection.verbose = opts.verbose ?? undefined;
  }

  /** True until `close()`. */
  get open(): boolean {
    return this.#connection.isOpen;
  }

  /** True while a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#connection.isOpen && this.#engine.x.sqlite3_get_autocommit(this.#connection.ptr) === 0;
  }

  /**
   * Compiles one SQL statement. More than one statement (or none) is a RangeError; invalid SQL a
   * `SqliteError` with SQLite's message (`near "SELEC": syntax error`).
   * @example const stmt = db.prepare('SELECT * FROM users WHERE id = ?');
   */
  prepare<Row = Record<string, SqlValue>>(sql: string): Statement<Row> {
    return this.#prepare<Row>(sql, false);
  }

  /**
   * Compiles `sql`; `pragma` statements (the ones `pragma()` runs) are refused while an iterator
   * is open, as better-sqlite3 does, since they may change what the iterator reads.
   */
  #prepare<Row>(sql: string, pragma: boolean): Statement<Row> {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    if (pragma) this.#connection.checkIdle(true);
    else this.#connection.checkNotBusy();
    const db = this.#connection.ptr;
    const e = this.#engine;
    const n = Buffer.byteLength(sql);
    const text = e.scratch(n + 1);
    e.buf.write(sql, text, n, 'utf8');
    e.u8[text + n] = 0;
    const out = e.out;
    let rc = e.x.sqlite3_prepare_v3(db, text, n, pragma ? 0 : SQLITE_PREPARE_PERSISTENT, out, out + 4);
    if (rc !== SQLITE_OK) throw this.#connection.error(rc);
    // Preparing may grow the heap: `e.dv` is read afresh after every call that can allocate.
    const ptr = e.dv.getUint32(out, true);
    const tail = e.dv.getUint32(out + 4, true);
    if (ptr === 0) throw new RangeError('The supplied SQL string contains no statements');
    let stmt: Statement<Row>;
    try {
      if (tail < text + n) {
        rc = e.x.sqlite3_prepare_v3(db, tail, text + n - tail, 0, out + 8, out + 12);
        const next = e.dv.getUint32(out + 8, true);
        if (next !== 0) e.x.sqlite3_finalize(next);
        if (rc !== SQLITE_OK || next !== 0) {
          // An authorizer that refused the second statement kept its error: it is not this one.
          this.#connection.dropPendingError();
          throw new RangeError('The supplied SQL string contains more than one statement');
        }
      }
      stmt = new Statement<Row>(this.#connection, ptr, sql, this.#safeIntegers, this);
    } catch (error) {
      e.x.sqlite3_finalize(ptr);
      throw error;
    }
    this.#connection.statements.add(ptr);
    registry.register(stmt, { connection: this.#connection, ptr });
    return stmt;
  }

  /**
   * Runs one or more SQL statements separated by semicolons, without parameters or results.
   * Stops at the first failing statement (earlier ones stay applied unless inside a transaction).
   * @example db.exec('CREATE TABLE a (x); CREATE TABLE b (y);');
   */
  exec(sql: string): this {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    this.#connection.checkIdle(true);
    const db = this.#connection.ptr;
    const text = this.#engine.allocCString(sql);
    this.#connection.busy = true;
    try {
      const rc =
        this.#connection.verbose === undefined
          ? this.#engine.x.sqlite3_exec(db, text, 0, 0, 0)
          : this.#execLogged(text);
      if (rc !== SQLITE_OK) throw this.#connection.error(rc);
    } finally {
      this.#connection.busy = false;
      this.#engine.x.sqlite3_free(text);
    }
    return this;
  }

  /** `sqlite3_exec` by hand, so that `verbose` sees each statement before it runs. */
  #execLogged(text: number): number {
    const { x } = this.#engine;
    const c = this.#connection;
    let at = text;
    for (;;) {
      const out = this.#engine.out;
      let rc = x.sqlite3_prepare_v3(c.ptr, at, -1, 0, out, out + 4);
      if (rc !== SQLITE_OK) return rc;
      const stmt = this.#engine.dv.getUint32(out, true);
      at = this.#engine.dv.getUint32(out + 4, true);
      if (stmt === 0) return SQLITE_OK;
      try {
        c.log(stmt);
        do rc = x.sqlite3_step(stmt);
        while (rc === SQLITE_ROW);
      } finally {
        rc = x.sqlite3_finalize(stmt);
      }
      if (rc !== SQLITE_OK) return rc;
    }
  }

  /**
   * Runs `PRAGMA <source>` and returns its rows, or with `{ simple: true }` the first column of
   * the first row.
   * @example db.pragma('journal_mode', { simple: true }) // 'wal'
   */
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected second argument to be an options object');
    if ('simple' in options && typeof options.simple !== 'boolean')
      throw new TypeError('Expected the "simple" option to be a boolean');
    const stmt = this.#prepare(`PRAGMA ${source}`, true);
    if (!stmt.reader) {
      stmt.run();
      return options.simple ? undefined : [];
    }
    return options.simple ? stmt.pluck().get() : stmt.all();
  }

  /**
   * Wraps `fn` in a transaction (see {@link TransactionFunction}): BEGIN, COMMIT on return,
   * ROLLBACK on throw; nested calls use savepoints.
   * @example
   * const insertMany = db.transaction((rows) => { for (const r of rows) insert.run(r); });
   * insertMany(rows); insertMany.immediate(rows);
   */
  transaction<F extends (...args: any[]) => any>(fn: F): TransactionFunction<F> {
    if (typeof fn !== 'function') throw new TypeError('Expected first argument to be a function');
    this.#connection.checkNotBusy();
    return wrapTransaction(
      this,
      () => this.inTransaction,
      () => (this.#preparedTransactionStatements ??= this.#prepareTransactionStatements()),
      fn,
    );
  }

  #prepareTransactionStatements(): TransactionStatements {
    return {
      begin: this.prepare('BEGIN'),
      beginDeferred: this.prepare('BEGIN DEFERRED'),
      beginImmediate: this.prepare('BEGIN IMMEDIATE'),
      beginExclusive: this.prepare('BEGIN EXCLUSIVE'),
      commit: this.prepare('COMMIT'),
      rollback: this.prepare('ROLLBACK'),
      savepoint: this.prepare('SAVEPOINT wasmlite_nested'),
      release: this.prepare('RELEASE wasmlite_nested'),
      rollbackTo: this.prepare('ROLLBACK TO wasmlite_nested'),
    };
  }

  /**
   * Registers a scalar SQL function implemented in JS. An exception thrown by `fn` aborts the
   * statement and reaches the caller unchanged.
   * @example db.function('slugify', (s) => String(s).toLowerCase().replace(/\W+/g, '-'));
   */
  function(
    name: string,
    optionsOrFn: FunctionOptions | ((...args: SqlValue[]) => unknown),
    maybeFn?: (...args: SqlValue[]) => unknown,
  ): this {
    this.#functions.push(registerFunction(this.#connection, name, optionsOrFn, maybeFn, this.#safeIntegers));
    return this;
  }

  /**
   * Registers an aggregate SQL function (better-sqlite3's `aggregate`): `step(accumulator, ...args)`
   * runs per row and its return value, unless `undefined`, becomes the accumulator; `start` (a
   * value, or a function called per group) is the first accumulator (default `null`); `result`
   * turns the last one into the SQL value. With `inverse` it is also a window function. Takes
   * `step.length - 1` arguments unless `varargs`. An exception thrown by any of them aborts the
   * statement and reaches the caller unchanged. See {@link AggregateOptions}.
   * @example
   * db.aggregate('product', { start: 1, step: (p, x) => p * x });
   * db.prepare('SELECT product(x) FROM t').pluck().get();
   */
  aggregate<Accumulator = any>(name: string, options: AggregateOptions<Accumulator>): this {
    this.#connection.checkIdle(false);
    registerAggregate(this.#connection, name, options, this.#safeIntegers);
    return this;
  }

  /**
   * Registers a virtual table whose rows come from a generator function (better-sqlite3's
   * `table`). With a {@link TableDefinition} the table exists at once under `name` and works as a
   * table-valued function (`SELECT * FROM name(?, ?)`); with a {@link TableFactory},
   * `CREATE VIRTUAL TABLE t USING name(args…)` calls the factory with the module arguments.
   * Read-only. Rows of the wrong shape or with non-SQL values fail the statement with a
   * TypeError; exceptions of the generator or factory reach the caller unchanged.
   * @example
   * db.table('numbers', {
   *   columns: ['n'],
   *   parameters: ['stop'],
   *   *rows(stop) {
   *     for (let n = 1; n <= stop; n++) yield [n];
   *   },
   * });
   * db.prepare('SELECT n FROM numbers(3)').pluck().all(); // [1, 2, 3]
   */
  table(name: string, definition: TableDefinition | TableFactory): this {
    this.#connection.checkIdle(false);
    registerTable(this.#connection, name, definition, () => this.#safeIntegers);
    return this;
  }

  /**
   * @internal Calls `interrupt` every `ops` virtual machine instructions while a statement runs on
   * this connection (`sqlite3_progress_handler`); when it returns true SQLite stops the statement
   * with `SQLITE_INTERRUPT` and rolls back what the statement (in autocommit mode, its transaction)
   * wrote. `undefined` removes the handler. The handler must not use the connection.
   *
   * @example
   * const deadline = performance.now() + 1000;
   * db.progressHandler(10_000, () => performance.now() > deadline);
   */
  progressHandler(ops: number, interrupt: (() => boolean) | undefined): this {
    const previous = this.#progress;
    this.#progress = installProgressHandler(this.#connection, ops, interrupt);
    if (previous !== 0) this.#engine.uninstallFunction(previous);
    return this;
  }

  /**
   * Installs `authorizer` (see {@link Authorizer}) on the connection, replacing the previous one;
   * `null` removes it. SQLite then asks it about every action of every statement compiled on this
   * connection (statements prepared before are compiled again at their next run). A wasmlite
   * extension in the shape of node:sqlite's `setAuthorizer`; better-sqlite3 has none.
   * @example db.setAuthorizer((action) => (action === 24 ? 1 : 0)); // refuse ATTACH
   */
  setAuthorizer(authorizer: Authorizer | null): this {
    const ptr = installAuthorizer(this.#connection, authorizer);
    if (this.#authorizer !== 0) this.#engine.uninstallFunction(this.#authorizer);
    this.#authorizer = ptr;
    return this;
  }

  /** Makes INTEGER results bigints for statements prepared after this call. */
  defaultSafeIntegers(toggle = true): this {
    this.#safeIntegers = toggle;
    return this;
  }

  /**
   * Returns the database as bytes (the same bytes a checkpointed file would hold), in a `Buffer`;
   * `{ attached: 'name' }` serializes an attached database instead of `main`.
   * @example fs.writeFileSync('copy.db', db.serialize());
   */
  serialize(options: SerializeOptions = {}): Buffer {
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected first argument to be an options object');
    const schema = checkAttached(options);
    this.#connection.checkIdle(false);
    const e = this.#engine;
    const ptr = e.x.sqlite3_serialize(this.#connection.ptr, e.cstr(schema), e.out, 0);
    const size = Number(e.dv.getBigInt64(e.out, true));
    if (ptr === 0) {
      if (size === 0) return Buffer.alloc(0);
      // -1: SQLite could not read the schema's page count (unknown schema, I/O error); asking
      // again through a statement reports why.
      if (size < 0) this.prepare(`PRAGMA "${schema.replaceAll('"', '""')}".page_count`).get();
      throw this.#connection.error(SQLITE_NOMEM);
    }
    try {
      return Buffer.from(e.u8.slice(ptr, ptr + size).buffer, 0, size);
    } finally {
      e.x.sqlite3_free(ptr);
    }
  }

  /**
   * Copies the database (or with `attached`, an attached one) into a file at `destination`
   * while it stays usable: SQLite's online backup, a step per event-loop turn (100 pages, or
   * what `progress` last returned; 0 pauses). Writes made meanwhile through this connection are
   * included. Resolves with the page counts when the copy is complete and consistent. Rejects
   * with a TypeError for bad arguments, a missing directory, or when the connection closes
   * meanwhile; with whatever `progress` throws; with `SQLITE_BUSY` if another connection keeps
   * a lock longer than `busyTimeout` ms. An aborted backup deletes the file it created.
   * @example await db.backup('backup.db', { progress: ({ remainingPages }) => (remainingPages > 1000 ? 500 : 100) });
   */
  async backup(destination: string, options: BackupOptions = {}): Promise<BackupResult> {
    const e = this.#engine;
    const vfs = this.#vfs;
    return runBackup(
      this.#connection,
      checkBackupArguments(destination, options),
      (path) => new Connection(e, openHandle(e, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs)),
    );
  }

  /**
   * Lifts better-sqlite3's guard against changing the database under an open iterator: with
   * `unsafeMode()`, `run()` of writes, `exec()` and `pragma()` are allowed while iterating
   * (what the iterator then reads is up to SQLite). `unsafeMode(false)` restores the guard.
   * @example db.unsafeMode(); for (const row of select.iterate()) update.run(row.id);
   */
  unsafeMode(toggle = true): this {
    if (typeof toggle !== 'boolean') throw new TypeError('Expected first argument to be a boolean');
    this.#connection.unsafe = toggle;
    return this;
  }

  /**
   * Not available: SQLite runs here as WebAssembly, which cannot load native (`.so`, `.dylib`,
   * `.dll`) extensions. Always throws a TypeError saying so (after better-sqlite3's argument and
   * state checks). FTS5, R-Tree, JSON and the math functions are built in.
   */
  loadExtension(path: string, entryPoint?: string): never {
    if (typeof path !== 'string') throw new TypeError('Expected first argument to be a string');
    if (entryPoint !== undefined && typeof entryPoint !== 'string')
      throw new TypeError('Expected second argument to be a string');
    this.#connection.checkIdle(false);
    throw new TypeError(
      'loadExtension() is not supported: wasmlite runs SQLite as WebAssembly, which cannot load native extensions ' +
        '(FTS5, R-Tree, JSON and math functions are built in)',
    );
  }

  /**
   * Closes the connection: finalizes its statements and rolls back an open transaction.
   * Idempotent; afterwards every method is a TypeError. Refused (TypeError) while a statement
   * runs or an iterator is open.
   */
  close(): this {
    if (!this.#connection.isOpen) return this;
    this.#connection.checkIdle(false);
    this.#closeConnection();
    return this;
  }

  #closeConnection(): void {
    this.#connection.close();
    for (const ptr of this.#functions) this.#engine.uninstallFunction(ptr);
    this.#functions.length = 0;
    if (this.#progress !== 0) this.#engine.uninstallFunction(this.#progress);
    this.#progress = 0;
    if (this.#authorizer !== 0) this.#engine.uninstallFunction(this.#authorizer);
    this.#authorizer = 0;
  }

  static {
    closeAnyway = (db) => {
      if (db.#connection.isOpen && !db.#connection.busy) db.#closeConnection();
    };
  }
}

/**
 * Closes `db` even while iterators are open (their next `next()` is then a TypeError): for the
 * Client, whose `close()` ends its iterations. Not exported from the package. A no-op inside a
 * user function (SQLite cannot close under a running statement).
 */
export function closeEvenIfIterating(db: Database): void {
  closeAnyway(db);
}

function openFlags(options: OpenOptions): number {
  if (options.readonly) return SQLITE_OPEN_READONLY | SQLITE_OPEN_EXRESCODE;
  return SQLITE_OPEN_READWRITE | (options.fileMustExist ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_EXRESCODE;
}

/** File format versions in bytes 18 (write) and 19 (read) of the database header. */
const LEGACY_FORMAT = 1;
const WAL_FORMAT = 2;

/**
 * Replaces the connection's main database with a copy of `image`, owned by SQLite (freed on
 * close, growable unless read-only).
 */
function deserialize(c: Connection, image: Uint8Array, readonly: boolean): void {
  const e = c.engine;
  const size = image.byteLength;
  const data = e.x.sqlite3_malloc64(BigInt(Math.max(size, 1)));
  if (data === 0) throw c.error(SQLITE_NOMEM);
  e.u8.set(image, data);
  // Bytes 18 and 19 of the header are 2 in a WAL database (what serialize() of wasmlite's default
  // WAL files gives); SQLite's in-memory VFS cannot open WAL, so the copy says rollback journal.
  if (size >= 20 && e.u8[data + 18] === WAL_FORMAT && e.u8[data + 19] === WAL_FORMAT) {
    e.u8[data + 18] = LEGACY_FORMAT;
    e.u8[data + 19] = LEGACY_FORMAT;
  }
  let flags = SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE;
  if (readonly) flags |= SQLITE_DESERIALIZE_READONLY;
  // With FREEONCLOSE SQLite owns the copy even when this fails.
  const rc = e.x.sqlite3_deserialize(c.ptr, e.cstr('main'), data, BigInt(size), BigInt(size), flags);
  if (rc === SQLITE_ERROR) throw sqliteError(e, rc, 'unable to deserialize database');
  if (rc !== SQLITE_OK) throw c.error(rc);
}

/**
 * Opens an `sqlite3*` handle; on failure closes it and throws the `SqliteError`, or, when the
 * file's directory does not exist, better-sqlite3's TypeError with that `SqliteError`
 * (`SQLITE_CANTOPEN`) as `cause` (which the Client reports, as libSQL does).
 */
function openHandle(e: Engine, filename: string, flags: number, vfs: string): number {
  const name = e.allocCString(filename);
  try {
    const rc = e.x.sqlite3_open_v2(name, e.out, flags, e.cstr(vfs));
    const ptr = e.dv.getUint32(e.out, true);
    if (rc !== SQLITE_OK) {
      const c = new Connection(e, ptr);
      const error = ptr === 0 ? c.error(rc) : c.error(e.x.sqlite3_extended_errcode(ptr));
      if (ptr !== 0) e.x.sqlite3_close_v2(ptr);
      if (primaryResultCode(rc) === SQLITE_CANTOPEN && !existsSync(dirname(filename))) {
        throw new TypeError('Cannot open database because the directory does not exist', { cause: error });
      }
      throw error;
    }
    return ptr;
  } finally {
    e.x.sqlite3_free(name);
  }
}
