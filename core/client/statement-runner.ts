import type { Database } from '../database/database.ts';
import type { Statement } from '../database/statement.ts';
import type { SqlValue } from '../sqlite3/values.ts';
import { ClientError } from './client-error.ts';
import { rowMaker, type RowMaker } from './libsql-row.ts';
import { ResultSetImpl } from './result-set.ts';
import { transactionControl, type TransactionControl } from './transaction-control.ts';
import type { InArgs, InStatement, IntMode, ResultSet, Row, Value } from './types.ts';

interface Prepared {
  stmt: Statement<SqlValue[]>;
  columns: string[];
  columnTypes: string[];
  make: RowMaker;
  /** What the statement does to the transaction (see `transactionControl`), once asked; null for nothing. */
  control?: TransactionControl | null;
  /** `stmt.reprepares` when the columns were read: `SELECT *` changes shape with the schema. */
  reprepares: number;
}

const CACHE_SIZE = 256;

/** A statement normalized from any {@link InStatement} form. */
export interface NormalizedStatement {
  sql: string;
  args: unknown[];
}

/** Normalizes `execute(stmt, args?)` arguments; a ClientError for malformed input. */
export function normalizeStatement(stmt: InStatement, args?: InArgs): NormalizedStatement {
  let sql: unknown;
  let a: unknown = args;
  if (typeof stmt === 'string') sql = stmt;
  else if (Array.isArray(stmt)) [sql, a = args] = stmt;
  else if (stmt !== null && typeof stmt === 'object') ({ sql, args: a = args } = stmt);
  if (typeof sql !== 'string')
    throw new ClientError('Expected a statement: a string, { sql, args } or [sql, args]', 'ARGS_INVALID');
  if (a === undefined || a === null) return { sql, args: [] };
  if (Array.isArray(a)) {
    let dates = false;
    for (let i = 0; i < a.length; i++) dates = checkArgument(a[i]) || dates;
    return { sql, args: dates ? a.map(fromDate) : a };
  }
  if (typeof a === 'object') {
    const named: Record<string, unknown> = {};
    // As in @libsql/client, a key's prefix does not have to match the SQL's: { $id } binds :id.
    for (const [k, v] of Object.entries(a)) {
      checkArgument(v);
      named[/^[:@$]/.test(k) ? k.slice(1) : k] = fromDate(v);
    }
    return { sql, args: [named] };
  }
  throw new ClientError('Expected args to be an array or an object', 'ARGS_INVALID');
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * Refuses an argument @libsql/client refuses (with its error classes and words): `undefined`
 * (a TypeError), a number that is not finite and a bigint beyond 64 bits (RangeErrors). Returns
 * whether it is a Date (bound as epoch milliseconds).
 */
function checkArgument(v: unknown): boolean {
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v))
        throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
      return false;
    case 'bigint':
      if (v < MIN_INT64 || v > MAX_INT64)
        throw new RangeError('bigint is too large to be represented as a 64-bit integer and passed as argument');
      return false;
    case 'undefined':
      throw new TypeError('undefined cannot be passed as argument to the database');
    default:
      return v instanceof Date;
  }
}

function fromDate(v: unknown): unknown {
  return v instanceof Date ? v.valueOf() : v;
}

/**
 * How the client's own statements (not the user's) run: a connection guarded by a
 * `RemoteSqlPolicy` passes its `trusted`, so that the client may toggle `query_only`.
 */
export type InternalRunner = <T>(fn: () => T) => T;

/**
 * Runs statements on one {@link Database} and shapes results as {@link ResultSet}s, reusing
 * prepared statements through a small LRU cache keyed by SQL text.
 */
export class StatementRunner {
  readonly db: Database;
  /** Runs the client's own statements (see {@link InternalRunner}). */
  readonly internal: InternalRunner;
  readonly #intMode: IntMode;
  /** The statement `#prepare` returned last, and its SQL. */
  #lastSql: string | undefined;
  #last: Prepared | undefined;
  readonly #cache = new Map<string, Prepared>();
  /** A read of the schema table, run before an EXPLAIN is compiled (see `#prepare`). */
  #schemaCheck: Statement<SqlValue[]> | undefined;
  #changes: Statement<SqlValue[]> | undefined;
  #totalChanges: Statement<SqlValue> | undefined;

  constructor(db: Database, intMode: IntMode, internal: InternalRunner = (fn) => fn()) {
    this.db = db;
    this.#intMode = intMode;
    this.internal = internal;
  }

  /** Prepares (or takes from the cache) and tells whether SQLite reports it read-only. */
  isReadonly(sql: string): boolean {
    return this.#prepare(sql).stmt.readonly;
  }

  /** Whether the statement begins, commits or rolls back the transaction (SQLite's compiled program says). */
  transactionControl(sql: string): TransactionControl | undefined {
    const p = this.#prepare(sql);
    if (p.control === undefined) p.control = transactionControl(this.db, p.stmt, sql) ?? null;
    return p.control ?? undefined;
  }

  /** Runs one statement and returns its result set. */
  run({ sql, args }: NormalizedStatement): ResultSet {
    const p = this.#prepare(sql);
    // One argument, not spread: spreading a very long list overflows the stack before SQLite's
    // own limit on variables can refuse it. A lone named-parameter object binds by name.
    const params = args.length === 1 ? args[0] : args;
    const { stmt } = p;
    if (!stmt.reader) {
      const info = stmt.run(params);
      return new ResultSetImpl([], [], [], info.changes, info.changes > 0 ? BigInt(info.lastInsertRowid) : undefined);
    }
    // A reader that is not read-only: RETURNING, or a PRAGMA that changes something. Only a
    // moved total_changes() tells whether this statement changed rows, not an earlier one.
    let totalBefore: unknown;
    if (!stmt.readonly) {
      this.#totalChanges ??= this.db.prepare('SELECT total_changes()').pluck().safeIntegers();
      totalBefore = this.#totalChanges.get();
    }
    const values = stmt.all(params) as Value[][];
    if (stmt.reprepares !== p.reprepares) describe(p);
    const stringify = this.#intMode === 'string';
    const { make } = p;
    const rows = new Array<Row>(values.length);
    for (let r = 0; r < values.length; r++) {
      const row = values[r]!;
      for (let i = 0; i < row.length; i++) {
        const v: unknown = row[i];
        // Blobs are fresh exact-size copies (see readColumn), so their buffer is the blob.
        if (v instanceof Uint8Array) row[i] = v.buffer as ArrayBuffer;
        else if (stringify && typeof v === 'bigint') row[i] = v.toString();
      }
      rows[r] = make(row);
    }
    let rowsAffected = 0;
    let lastInsertRowid: bigint | undefined;
    if (!stmt.readonly) {
      this.#changes ??= this.db
        .prepare<SqlValue[]>('SELECT changes(), last_insert_rowid(), total_changes()')
        .raw()
        .safeIntegers();
      const [changes, rowid, total] = this.#changes.get() as [bigint, bigint, bigint];
      rowsAffected = total === totalBefore ? 0 : Number(changes);
      if (rowsAffected > 0) lastInsertRowid = rowid;
    }
    return new ResultSetImpl(p.columns, p.columnTypes, rows, rowsAffected, lastInsertRowid);
  }

  #prepare(sql: string): Prepared {
    // The statement used last is already the most recent in the LRU (a replica client asks
    // whether a statement is read-only, then runs it): no reordering needed.
    if (sql === this.#lastSql) return this.#last!;
    let p = this.#cache.get(sql);
    if (p !== undefined) {
      this.#cache.delete(sql);
      this.#cache.set(sql, p);
      this.#lastSql = sql;
      this.#last = p;
      return p;
    }
    let stmt = this.db.prepare<SqlValue[]>(sql);
    const explain = stmt.isExplain;
    if (explain) {
      // EXPLAIN opens no transaction, so it would describe the schema this connection last
      // loaded; a read of the schema table reloads it if another connection (a replica's apply,
      // say) changed it. Then it is compiled afresh, and never cached.
      (this.#schemaCheck ??= this.db.prepare('SELECT 1 FROM sqlite_schema LIMIT 0')).all();
      stmt = this.db.prepare<SqlValue[]>(sql);
    }
    p = { stmt, columns: [], columnTypes: [], make: rowMaker([]), reprepares: 0 };
    if (stmt.reader) {
      stmt.raw();
      if (this.#intMode === 'number') stmt.safeRangeNumbers();
      else stmt.safeIntegers();
      describe(p);
    }
    if (explain) return p;
    this.#cache.set(sql, p);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    this.#lastSql = sql;
    this.#last = p;
    return p;
  }
}

/** Reads the result columns of `p.stmt` into `p`. */
function describe(p: Prepared): void {
  const defs = p.stmt.columns();
  p.columns = defs.map((c) => c.name);
  p.columnTypes = defs.map((c) => c.type ?? '');
  p.make = rowMaker(p.columns);
  p.reprepares = p.stmt.reprepares;
}
