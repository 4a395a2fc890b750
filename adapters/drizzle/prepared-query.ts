import { DrizzleQueryError, entityKind, fillPlaceholders, type Logger, type Query } from 'drizzle-orm';
import type { Cache } from 'drizzle-orm/cache/core';
import type { WithCacheConfig } from 'drizzle-orm/cache/core/types';
import {
  SQLitePreparedQuery,
  type PreparedQueryConfig as PreparedQueryConfigBase,
  type SelectedFieldsOrdered,
  type SQLiteExecuteMethod,
} from 'drizzle-orm/sqlite-core';
import type { InValue, ResultSet, Transaction } from '../../core/index.ts';
import { mapResultRow, normalizeValue, objectRow, objectRows, plainRows, valueRows } from './row-mapping.ts';

/** What a prepared query runs its statement on: the Client, or the open interactive transaction. */
export type Executor = Pick<Transaction, 'execute'>;

/** The result mapper of relational queries (`db.query.*`), given array rows. */
export type CustomResultMapper = (rows: unknown[][], mapColumnValue?: (value: unknown) => unknown) => unknown;

/** The part of SQLitePreparedQuery that drizzle-orm marks internal (every driver calls it). */
interface QueryWithCache {
  queryWithCache<R>(sql: string, params: unknown[], query: () => Promise<R>): Promise<R>;
}

/** The result types of a prepared query (Drizzle's config without the sync-only members). */
export type PreparedQueryConfig = Omit<PreparedQueryConfigBase, 'statement' | 'run'>;

/** Which rows a query's metadata says it touches, for Drizzle's cache. */
export interface QueryMetadata {
  type: 'select' | 'update' | 'delete' | 'insert';
  tables: string[];
}

/**
 * One Drizzle query bound to a wasmlite Client (or transaction): `run` gives the Client's
 * `ResultSet`, `all`/`get` map rows to objects (through the selected fields, Drizzle's relational
 * mapper, or by column name for raw SQL), `values` gives value arrays. `get` of no row is
 * `undefined`. Failures reject with Drizzle's `DrizzleQueryError` whose `cause` is the
 * `SqliteError` (or `ClientError`).
 *
 * Created by the session; users get it from `.prepare()`:
 * @example
 * const byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare();
 * const user = await byId.get({ id: 1 });
 */
export class WasmlitePreparedQuery<T extends PreparedQueryConfig = PreparedQueryConfig> extends SQLitePreparedQuery<{
  type: 'async';
  run: ResultSet;
  all: T['all'];
  get: T['get'];
  values: T['values'];
  execute: T['execute'];
}> {
  static override readonly [entityKind]: string = 'WasmlitePreparedQuery';

  readonly #executor: Executor;
  readonly #logger: Logger;
  /** Whether Drizzle's cache may be involved; without one, queries skip its async wrapper. */
  readonly #cached: boolean;
  readonly #fields: SelectedFieldsOrdered | undefined;
  readonly #customResultMapper: CustomResultMapper | undefined;
  readonly #arrayMode: boolean;

  constructor(
    executor: Executor,
    query: Query,
    logger: Logger,
    cache: Cache | undefined,
    queryMetadata: QueryMetadata | undefined,
    cacheConfig: WithCacheConfig | undefined,
    fields: SelectedFieldsOrdered | undefined,
    executeMethod: SQLiteExecuteMethod,
    arrayMode: boolean,
    customResultMapper?: CustomResultMapper,
  ) {
    super('async', executeMethod, query, cache, queryMetadata, cacheConfig);
    this.#executor = executor;
    this.#logger = logger;
    this.#cached = cache !== undefined;
    this.#fields = fields;
    this.#arrayMode = arrayMode;
    this.#customResultMapper = customResultMapper;
  }

  /** Runs the statement; resolves with the Client's `ResultSet` (`rowsAffected`, `lastInsertRowid`). */
  run(placeholderValues?: Record<string, unknown>): Promise<ResultSet> {
    return this.#execute(placeholderValues, (rs) => rs);
  }

  /** Runs the statement; resolves with every row mapped to an object. */
  all(placeholderValues?: Record<string, unknown>): Promise<T['all']> {
    return this.#execute(placeholderValues, (rs) => this.mapAllResult(rs));
  }

  /** Runs the statement; resolves with the first row mapped to an object, or `undefined`. */
  get(placeholderValues?: Record<string, unknown>): Promise<T['get']> {
    return this.#execute(placeholderValues, (rs) => this.mapGetResult(rs));
  }

  /** Runs the statement; resolves with the rows as arrays of values. */
  values(placeholderValues?: Record<string, unknown>): Promise<T['values']> {
    return this.#execute(placeholderValues, (rs) => plainRows(rs.rows));
  }

  /** Maps a `ResultSet` (of this query, or of its place in a `db.batch`) as `all()` does. */
  override mapAllResult(result: unknown, _isFromBatch?: boolean): unknown {
    const rs = result as ResultSet;
    if (this.#fields === undefined && this.#customResultMapper === undefined) return objectRows(rs);
    const rows = valueRows(rs.rows);
    if (this.#customResultMapper !== undefined) return this.#customResultMapper(rows, normalizeValue);
    return rows.map((row) => mapResultRow(this.#fields!, row, this.#joinsNotNullableMap()));
  }

  /** Maps a `ResultSet` as `get()` does: the first row, or `undefined`. */
  override mapGetResult(result: unknown, _isFromBatch?: boolean): unknown {
    const rs = result as ResultSet;
    const row = rs.rows[0];
    if (row === undefined) return undefined;
    if (this.#fields === undefined && this.#customResultMapper === undefined) return objectRow(rs.columns, row);
    if (this.#customResultMapper !== undefined) return this.#customResultMapper(valueRows(rs.rows), normalizeValue);
    return mapResultRow(this.#fields!, valueRows([row])[0]!, this.#joinsNotNullableMap());
  }

  /** @internal Drizzle asks whether rows come as arrays (they do when fields are mapped). */
  isResponseInArrayMode(): boolean {
    return this.#arrayMode;
  }

  /**
   * Runs the statement with `placeholderValues` filled in and maps its result; rejects (never
   * throws) with a DrizzleQueryError whose cause is the Client's error, as drizzle-orm's own
   * `queryWithCache` does, which runs it when a cache is configured. Without one the promise
   * chain is built here directly: this is every query's hot path.
   */
  #execute<R>(placeholderValues: Record<string, unknown> | undefined, map: (rs: ResultSet) => R): Promise<R> {
    const { sql } = this.query;
    let params: unknown[];
    try {
      params = fillPlaceholders(this.query.params, placeholderValues ?? {});
    } catch (error) {
      return Promise.reject(error);
    }
    this.#logger.logQuery(sql, params);
    const run = () => this.#executor.execute({ sql, args: params as InValue[] }).then(map);
    if (this.#cached) return (this as unknown as QueryWithCache).queryWithCache(sql, params, run);
    return run().catch((cause: unknown) => {
      throw new DrizzleQueryError(sql, params, cause as Error);
    });
  }

  /** Set by Drizzle's select builder after prepare (which joined tables may be all-null). */
  #joinsNotNullableMap(): Record<string, boolean> | undefined {
    return (this as unknown as { joinsNotNullableMap?: Record<string, boolean> }).joinsNotNullableMap;
  }
}
