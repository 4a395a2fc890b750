import type { Database } from '../database/database.ts';
import type { Statement } from '../database/statement.ts';
import type { SqlValue } from '../sqlite3/values.ts';
import { ClientError } from './client-error.ts';
import { nameRows, ResultSetImpl, rowPropertyNames } from './result-set.ts';
import type { InArgs, InStatement, IntMode, ResultSet, Value } from './types.ts';

interface Prepared {
  stmt: Statement<SqlValue[]>;
  columns: string[];
  columnTypes: string[];
  names: Array<[number, string]>;
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
  if (typeof sql !== 'string') throw new ClientError('Expected a statement: a string, { sql, args } or [sql, args]', 'ARGS_INVALID');
  if (a === undefined || a === null) return { sql, args: [] };
  if (Array.isArray(a)) return { sql, args: a.some((v) => v instanceof Date) ? a.map(fromDate) : a };
  if (typeof a === 'object') {
    const named: Record<string, unknown> = {};
    // As in @libsql/client, a key's prefix does not have to match the SQL's: { $id } binds :id.
    for (const [k, v] of Object.entries(a)) named[/^[:@$]/.test(k) ? k.slice(1) : k] = fromDate(v);
    return { sql, args: [named] };
  }
  throw new ClientError('Expected args to be an array or an object', 'ARGS_INVALID');
}

function fromDate(v: unknown): unknown {
  return v instanceof Date ? v.valueOf() : v;
}

/**
 * Runs statements on one {@link Database} and shapes results as {@link ResultSet}s, reusing
 * prepared statements through a small LRU cache keyed by SQL text.
 */
export class StatementRunner {
  readonly db: Database;
  readonly #intMode: IntMode;
  /** The statement `#prepare` returned last, and its SQL. */
  #lastSql: string | undefined;
  #last: Prepared | undefined;
  readonly #cache = new Map<string, Prepared>();
  #changes: Statement<SqlValue[]> | undefined;
  #totalChanges: Statement<SqlValue> | undefined;

  constructor(db: Database, intMode: IntMode) {
    this.db = db;
    this.#intMode = intMode;
  }

  /** Prepares (or takes from the cache) and tells whether SQLite reports it read-only. */
  isReadonly(sql: string): boolean {
    return this.#prepare(sql).stmt.readonly;
  }

  /** Runs one statement and returns its result set. */
  run({ sql, args }: NormalizedStatement): ResultSet {
    const p = this.#prepare(sql);
    const { stmt } = p;
    if (!stmt.reader) {
      const info = stmt.run(...args);
      return new ResultSetImpl([], [], [], info.changes, info.changes > 0 ? BigInt(info.lastInsertRowid) : undefined);
    }
    // A reader that is not read-only: RETURNING, or a PRAGMA that changes something. Only a
    // moved total_changes() tells whether this statement changed rows, not an earlier one.
    let totalBefore: unknown;
    if (!stmt.readonly) {
      this.#totalChanges ??= this.db.prepare('SELECT total_changes()').pluck().safeIntegers();
      totalBefore = this.#totalChanges.get();
    }
    let rows = stmt.all(...args) as Value[][];
    if (stmt.reprepares !== p.reprepares) describe(p);
    if (this.#intMode === 'string') rows = rows.map((row) => row.map((v) => (typeof v === 'bigint' ? v.toString() : v)));
    for (const row of rows) {
      for (let i = 0; i < row.length; i++) {
        const v: unknown = row[i];
        // Blobs are fresh exact-size copies (see readColumn), so their buffer is the blob.
        if (v instanceof Uint8Array) row[i] = v.buffer as ArrayBuffer;
      }
    }
    let rowsAffected = 0;
    let lastInsertRowid: bigint | undefined;
    if (!stmt.readonly) {
      this.#changes ??= this.db.prepare<SqlValue[]>('SELECT changes(), last_insert_rowid(), total_changes()').raw().safeIntegers();
      const [changes, rowid, total] = this.#changes.get() as [bigint, bigint, bigint];
      rowsAffected = total === totalBefore ? 0 : Number(changes);
      if (rowsAffected > 0) lastInsertRowid = rowid;
    }
    return new ResultSetImpl(p.columns, p.columnTypes, nameRows(rows, p.names), rowsAffected, lastInsertRowid);
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
    const stmt = this.db.prepare<SqlValue[]>(sql);
    p = { stmt, columns: [], columnTypes: [], names: [], reprepares: 0 };
    if (stmt.reader) {
      stmt.raw();
      if (this.#intMode !== 'number') stmt.safeIntegers();
      describe(p);
    }
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
  p.names = rowPropertyNames(p.columns);
  p.reprepares = p.stmt.reprepares;
}
