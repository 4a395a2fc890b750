import { resolve } from 'node:path';
import { loadEngineSync, type Engine } from '../sqlite3/engine.ts';
import {
  SQLITE_DESERIALIZE_FREEONCLOSE, SQLITE_DESERIALIZE_READONLY, SQLITE_DESERIALIZE_RESIZEABLE,
  SQLITE_DETERMINISTIC, SQLITE_DIRECTONLY, SQLITE_DONE, SQLITE_ERROR, SQLITE_NOMEM, SQLITE_OK, SQLITE_OPEN_CREATE,
  SQLITE_OPEN_EXRESCODE, SQLITE_OPEN_READONLY, SQLITE_OPEN_READWRITE, SQLITE_PREPARE_PERSISTENT,
  SQLITE_UTF8,
} from '../sqlite3/constants.ts';
import { readValues, setResult, type SqlValue } from '../sqlite3/values.ts';
import { defaultVfs } from '../vfs/index.ts';
import { Connection, sqliteError } from './connection.ts';
import { Statement } from './statement.ts';
import { wrapTransaction, type TransactionFunction, type TransactionStatements } from './transaction.ts';

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
}

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

/** What `Database.backup()` reports when it finishes. */
export interface BackupResult {
  totalPages: number;
  remainingPages: number;
}

const JOURNAL_MODES = new Set<string>(['wal', 'delete', 'truncate', 'persist', 'memory', 'off']);
const registry = new FinalizationRegistry<{ connection: Connection; ptr: number }>(({ connection, ptr }) => {
  if (connection.isOpen && connection.statements.delete(ptr)) connection.e.x.sqlite3_finalize(ptr);
});

/**
 * Checks `open()`'s arguments the way every wasmlite entry point words them. `fromImage`: the
 * database is opened from bytes, which may be read-only although it lives in memory.
 */
export function checkOpenArguments(path: unknown, options: unknown, fromImage = false): asserts options is OpenOptions {
  if (typeof path !== 'string') throw new TypeError('Expected first argument to be a string');
  if (options === null || typeof options !== 'object') throw new TypeError('Expected the "options" argument to be an object');
  if ('readOnly' in options) throw new TypeError('Misspelled option "readOnly" should be "readonly"');
  const o = options as Record<string, unknown>;
  for (const key of ['readonly', 'fileMustExist', 'safeIntegers', 'foreignKeys'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new TypeError(`Expected the "${key}" option to be a boolean`);
  }
  if (o.timeout !== undefined && !(Number.isInteger(o.timeout) && (o.timeout as number) >= 0 && (o.timeout as number) <= 0x7fffffff)) {
    throw new TypeError('Expected the "timeout" option to be a non-negative integer');
  }
  if (o.journalMode !== undefined && !JOURNAL_MODES.has(String(o.journalMode).toLowerCase())) {
    throw new TypeError('Expected the "journalMode" option to be one of wal, delete, truncate, persist, memory, off');
  }
  if (o.vfs !== undefined && typeof o.vfs !== 'string') throw new TypeError('Expected the "vfs" option to be a string');
  if (o.readonly === true && !fromImage && (path === ':memory:' || path === '')) {
    throw new TypeError('In-memory and temporary databases cannot be readonly');
  }
}

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
  /** The path (or `:memory:`) as given; `:memory:` for a database opened from bytes. */
  readonly name: string;
  /** True for `:memory:`, temporary (`''`) and deserialized databases. */
  readonly memory: boolean;
  /** True if the connection was opened read-only. */
  readonly readonly: boolean;

  readonly #c: Connection;
  readonly #e: Engine;
  readonly #functions: number[] = [];
  readonly #vfs: string;
  #safeIntegers: boolean;
  #tx: TransactionStatements | undefined;

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
    this.#e = engine;
    this.name = filename;
    this.memory = filename === ':memory:' || filename === '';
    this.readonly = opts.readonly ?? false;
    this.#safeIntegers = opts.safeIntegers ?? false;
    this.#vfs = opts.vfs ?? defaultVfs(engine).name;
    this.#c = new Connection(engine, openHandle(engine, this.memory ? filename : resolve(filename), openFlags(opts), this.#vfs));
    try {
      const x = engine.x;
      x.sqlite3_extended_result_codes(this.#c.ptr, 1);
      x.sqlite3_busy_timeout(this.#c.ptr, opts.timeout ?? 5000);
      if (image !== undefined) deserialize(this.#c, image, this.readonly);
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
      this.#c.close();
      throw error;
    }
  }

  /** True until `close()`. */
  get open(): boolean {
    return this.#c.isOpen;
  }

  /** True while a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#c.isOpen && this.#e.x.sqlite3_get_autocommit(this.#c.ptr) === 0;
  }

  /**
   * Compiles one SQL statement. More than one statement (or none) is a RangeError; invalid SQL a
   * `SqliteError` with SQLite's message (`near "SELEC": syntax error`).
   * @example const stmt = db.prepare('SELECT * FROM users WHERE id = ?');
   */
  prepare<Row = Record<string, SqlValue>>(sql: string): Statement<Row> {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    const db = this.#c.ptr;
    const e = this.#e;
    const n = Buffer.byteLength(sql);
    const text = e.scratch(n + 1);
    e.buf.write(sql, text, n, 'utf8');
    e.u8[text + n] = 0;
    const out = e.out;
    let rc = e.x.sqlite3_prepare_v3(db, text, n, SQLITE_PREPARE_PERSISTENT, out, out + 4);
    if (rc !== SQLITE_OK) throw this.#c.error(rc);
    const ptr = e.dv.getUint32(out, true);
    const tail = e.dv.getUint32(out + 4, true);
    if (ptr === 0) throw new RangeError('The supplied SQL string contains no statements');
    if (tail < text + n) {
      rc = e.x.sqlite3_prepare_v3(db, tail, text + n - tail, 0, out + 8, out + 12);
      const next = e.dv.getUint32(out + 8, true);
      if (next !== 0) e.x.sqlite3_finalize(next);
      if (rc !== SQLITE_OK || next !== 0) {
        e.x.sqlite3_finalize(ptr);
        throw new RangeError('The supplied SQL string contains more than one statement');
      }
    }
    this.#c.statements.add(ptr);
    const stmt = new Statement<Row>(this.#c, ptr, sql, this.#safeIntegers);
    registry.register(stmt, { connection: this.#c, ptr });
    return stmt;
  }

  /**
   * Runs one or more SQL statements separated by semicolons, without parameters or results.
   * Stops at the first failing statement (earlier ones stay applied unless inside a transaction).
   * @example db.exec('CREATE TABLE a (x); CREATE TABLE b (y);');
   */
  exec(sql: string): this {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    const db = this.#c.ptr;
    const text = this.#e.allocCString(sql);
    try {
      const rc = this.#e.x.sqlite3_exec(db, text, 0, 0, 0);
      if (rc !== SQLITE_OK) throw this.#c.error(rc);
    } finally {
      this.#e.x.sqlite3_free(text);
    }
    return this;
  }

  /**
   * Runs `PRAGMA <source>` and returns its rows, or with `{ simple: true }` the first column of
   * the first row.
   * @example db.pragma('journal_mode', { simple: true }) // 'wal'
   */
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
    if (options === null || typeof options !== 'object') throw new TypeError('Expected the "options" argument to be an object');
    if (options.simple !== undefined && typeof options.simple !== 'boolean') throw new TypeError('Expected the "simple" option to be a boolean');
    const stmt = this.prepare(`PRAGMA ${source}`);
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
    return wrapTransaction(() => this.inTransaction, () => (this.#tx ??= this.#transactionStatements()), fn);
  }

  #transactionStatements(): TransactionStatements {
    return {
      begin: this.prepare('BEGIN'),
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
  function(name: string, optionsOrFn: FunctionOptions | ((...args: SqlValue[]) => unknown), maybeFn?: (...args: SqlValue[]) => unknown): this {
    const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
    const options: FunctionOptions = typeof optionsOrFn === 'function' ? {} : (optionsOrFn ?? {});
    if (typeof name !== 'string' || name === '') throw new TypeError('Expected first argument to be a non-empty string');
    if (typeof fn !== 'function') throw new TypeError('Expected last argument to be a function');
    const db = this.#c.ptr;
    const e = this.#e;
    const c = this.#c;
    const bigints = options.safeIntegers ?? this.#safeIntegers;
    const callback = (ctx: number, argc: number, argv: number): void => {
      try {
        setResult(e, ctx, fn(...readValues(e, argc, argv, bigints)));
      } catch (error) {
        c.pendingError = error;
        const message = error instanceof Error ? error.message : String(error);
        const n = Buffer.byteLength(message);
        const ptr = e.scratch(n + 1);
        e.buf.write(message, ptr, n, 'utf8');
        e.x.sqlite3_result_error(ctx, ptr, n);
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
    this.#functions.push(ptr);
    return this;
  }

  /** Makes INTEGER results bigints for statements prepared after this call. */
  defaultSafeIntegers(toggle = true): this {
    this.#safeIntegers = toggle;
    return this;
  }

  /**
   * Returns the database as bytes (the same bytes a checkpointed file would hold).
   * @example fs.writeFileSync('copy.db', db.serialize());
   */
  serialize(schema = 'main'): Uint8Array {
    const e = this.#e;
    const ptr = e.x.sqlite3_serialize(this.#c.ptr, e.cstr(schema), e.out, 0);
    const size = Number(e.dv.getBigInt64(e.out, true));
    if (ptr === 0) {
      if (size === 0) return new Uint8Array(0);
      // -1: SQLite could not read the schema's page count (unknown schema, I/O error); asking
      // again through a statement reports why.
      if (size < 0) this.prepare(`PRAGMA "${schema.replaceAll('"', '""')}".page_count`).get();
      throw this.#c.error(7);
    }
    try {
      return e.u8.slice(ptr, ptr + size);
    } finally {
      e.x.sqlite3_free(ptr);
    }
  }

  /**
   * Copies the database into a file at `destination` while it stays usable: SQLite's online
   * backup, a few pages per event-loop turn; writes made meanwhile through this connection are
   * included. Resolves when the copy is complete and consistent; rejects with `SQLITE_BUSY` if
   * the destination or source stays locked by another connection longer than `busyTimeout` ms.
   * @example await db.backup('backup.db');
   */
  async backup(destination: string, options: { pagesPerStep?: number; busyTimeout?: number } = {}): Promise<BackupResult> {
    if (typeof destination !== 'string' || destination === '') throw new TypeError('Expected first argument to be a non-empty string');
    const pages = options.pagesPerStep ?? 256;
    if (!Number.isInteger(pages) || pages < 1) throw new TypeError('Expected the "pagesPerStep" option to be a positive integer');
    if (options.busyTimeout !== undefined && !(Number.isInteger(options.busyTimeout) && options.busyTimeout >= 0)) {
      throw new TypeError('Expected the "busyTimeout" option to be a non-negative integer');
    }
    const e = this.#e;
    const source = this.#c.ptr;
    const target = new Connection(e, openHandle(e, resolve(destination), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, this.#vfs));
    try {
      const main = e.cstr('main');
      const backup = e.x.sqlite3_backup_init(target.ptr, main, source, main);
      if (backup === 0) throw target.error(e.x.sqlite3_extended_errcode(target.ptr));
      let rc = SQLITE_OK;
      let result: BackupResult = { totalPages: 0, remainingPages: 0 };
      // A lock held elsewhere (SQLITE_BUSY/LOCKED) is retried on later turns, up to this long.
      const giveUpAt = Date.now() + (options.busyTimeout ?? 5000);
      try {
        for (;;) {
          if (!this.#c.isOpen) throw new TypeError('The database connection was closed during the backup');
          rc = e.x.sqlite3_backup_step(backup, pages);
          result = { totalPages: e.x.sqlite3_backup_pagecount(backup), remainingPages: e.x.sqlite3_backup_remaining(backup) };
          if (rc === SQLITE_DONE) break;
          const locked = (rc & 0xff) === 5 || (rc & 0xff) === 6;
          if (rc !== SQLITE_OK && (!locked || Date.now() > giveUpAt)) break;
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        const finish = e.x.sqlite3_backup_finish(backup);
        if (rc === SQLITE_DONE) rc = finish;
      }
      if (rc !== SQLITE_OK && rc !== SQLITE_DONE) throw target.error(rc);
      return result;
    } finally {
      target.close();
    }
  }

  /**
   * Closes the connection: finalizes its statements and rolls back an open transaction.
   * Idempotent; afterwards every method is a TypeError.
   */
  close(): this {
    if (!this.#c.isOpen) return this;
    this.#c.close();
    for (const ptr of this.#functions) this.#e.uninstallFunction(ptr);
    this.#functions.length = 0;
    return this;
  }
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
  const e = c.e;
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

/** Opens an `sqlite3*` handle; on failure closes it and throws the `SqliteError`. */
function openHandle(e: Engine, filename: string, flags: number, vfs: string): number {
  const name = e.allocCString(filename);
  try {
    const rc = e.x.sqlite3_open_v2(name, e.out, flags, e.cstr(vfs));
    const ptr = e.dv.getUint32(e.out, true);
    if (rc !== SQLITE_OK) {
      const c = new Connection(e, ptr);
      const error = ptr === 0 ? c.error(rc) : c.error(e.x.sqlite3_extended_errcode(ptr));
      if (ptr !== 0) e.x.sqlite3_close_v2(ptr);
      throw error;
    }
    return ptr;
  } finally {
    e.x.sqlite3_free(name);
  }
}
