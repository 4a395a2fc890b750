import {
  DrizzleQueryError,
  entityKind,
  NoopLogger,
  sql,
  type Logger,
  type Query,
  type RelationalSchemaConfig,
  type TablesRelationalConfig,
} from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Cache } from 'drizzle-orm/cache/core';
import type { WithCacheConfig } from 'drizzle-orm/cache/core/types';
import {
  SQLiteSession,
  SQLiteTransaction,
  type SelectedFieldsOrdered,
  type SQLiteAsyncDialect,
  type SQLiteExecuteMethod,
  type SQLiteTransactionConfig,
} from 'drizzle-orm/sqlite-core';
import type { Client, InStatement, InValue, ResultSet, Transaction, TransactionMode } from '../../core/index.ts';
import {
  WasmlitePreparedQuery,
  type CustomResultMapper,
  type PreparedQueryConfig,
  type QueryMetadata,
} from './prepared-query.ts';
import { objectRow, objectRows, plainRows } from './row-mapping.ts';

/**
 * `db.transaction`'s config: Drizzle's `behavior`, plus the Client's `foreignKeys` (enforcement
 * during the transaction, set before it begins and put back after it, on the primary in replica
 * mode; `false` for a migration that rebuilds referenced tables).
 *
 * @example
 * await db.transaction(async (tx) => { … }, { behavior: 'immediate', foreignKeys: false });
 */
export interface WasmliteTransactionConfig extends SQLiteTransactionConfig {
  foreignKeys?: boolean;
}

/** Options of a {@link WasmliteSession}, from `drizzle()`'s config. */
export interface WasmliteSessionOptions {
  logger?: Logger;
  cache?: Cache;
}

/**
 * How Drizzle's `behavior` maps onto the Client's transaction modes. The Client has no
 * `exclusive` mode; `write` (BEGIN IMMEDIATE) is the same thing under WAL, wasmlite's default.
 * Without a behavior a transaction is a `write` one, as on drizzle-orm/libsql: it takes the write
 * lock at once (on the primary, in replica mode).
 */
const MODES: Record<NonNullable<SQLiteTransactionConfig['behavior']>, TransactionMode> = {
  deferred: 'deferred',
  immediate: 'write',
  exclusive: 'write',
};

/** A query as drizzle-orm's batch hands it over (the members it marks internal). */
interface BatchQuery {
  _prepare(): { getQuery(): Query; mapResult(result: unknown, isFromBatch?: boolean): unknown };
}

/**
 * Drizzle's async SQLite session over a wasmlite {@link Client}: prepares queries, runs
 * `db.batch` as one Client batch, opens transactions with `client.transaction(mode)`. Inside a
 * transaction a session of its own runs everything on that {@link Transaction}; calls on the
 * Client meanwhile never run inside it (the Client's rule: a local client makes them wait for its
 * end; a replica client runs reads on its file and writes wait for the primary's writer).
 *
 * Created by `drizzle()`; not usually constructed by hand.
 * @example
 * const session = new WasmliteSession(client, new SQLiteAsyncDialect(), undefined, {});
 */
export class WasmliteSession<
  TFullSchema extends Record<string, unknown>,
  TSchema extends TablesRelationalConfig,
> extends SQLiteSession<'async', ResultSet, TFullSchema, TSchema> {
  static override readonly [entityKind]: string = 'WasmliteSession';

  readonly #client: Client;
  readonly #dialect: SQLiteAsyncDialect;
  readonly #schema: RelationalSchemaConfig<TSchema> | undefined;
  readonly #options: WasmliteSessionOptions;
  readonly #tx: Transaction | undefined;
  readonly #logger: Logger;

  constructor(
    client: Client,
    dialect: SQLiteAsyncDialect,
    schema: RelationalSchemaConfig<TSchema> | undefined,
    options: WasmliteSessionOptions,
    tx?: Transaction,
  ) {
    super(dialect);
    this.#client = client;
    this.#dialect = dialect;
    this.#schema = schema;
    this.#options = options;
    this.#tx = tx;
    this.#logger = options.logger ?? new NoopLogger();
  }

  prepareQuery<T extends PreparedQueryConfig>(
    query: Query,
    fields: SelectedFieldsOrdered | undefined,
    executeMethod: SQLiteExecuteMethod,
    isResponseInArrayMode: boolean,
    customResultMapper?: CustomResultMapper,
    queryMetadata?: QueryMetadata,
    cacheConfig?: WithCacheConfig,
  ): WasmlitePreparedQuery<T> {
    return new WasmlitePreparedQuery<T>(
      this.#tx ?? this.#client,
      query,
      this.#logger,
      this.#options.cache,
      queryMetadata,
      cacheConfig,
      fields,
      executeMethod,
      isResponseInArrayMode,
      customResultMapper,
    );
  }

  /**
   * Runs the queries as one Client batch (one transaction: all or nothing; read-only batches stay
   * on a replica) and maps each result as its query would be on its own. A failure rejects with
   * a `DrizzleQueryError` over the batch's statements, the `SqliteError` as `cause`.
   */
  async batch<T extends BatchItem<'sqlite'>[] | readonly BatchItem<'sqlite'>[]>(queries: T): Promise<unknown[]> {
    const prepared = (queries as readonly unknown[]).map((q) => (q as BatchQuery)._prepare());
    const built = prepared.map((p) => p.getQuery());
    const stmts: InStatement[] = built.map((q) => ({ sql: q.sql, args: q.params as InValue[] }));
    for (const q of built) this.#logger.logQuery(q.sql, q.params);
    let results: ResultSet[];
    try {
      results = this.#tx === undefined ? await this.#client.batch(stmts) : await this.#tx.batch(stmts);
    } catch (cause) {
      throw new DrizzleQueryError(
        built.map((q) => q.sql).join(';\n'),
        built.flatMap((q) => q.params),
        cause as Error,
      );
    }
    return results.map((rs, i) => prepared[i]!.mapResult(rs, true));
  }

  /**
   * Runs `transaction` in a Client interactive transaction (`behavior` → Client mode, see
   * {@link MODES}; `foreignKeys` passed on); commits when it resolves, rolls back when it throws
   * (including `tx.rollback()`, which rejects with Drizzle's `TransactionRollbackError`).
   */
  async transaction<T>(
    transaction: (tx: WasmliteTransaction<TFullSchema, TSchema>) => T | Promise<T>,
    config?: WasmliteTransactionConfig,
  ): Promise<T> {
    const { behavior, foreignKeys } = config ?? {};
    if (behavior !== undefined && !Object.hasOwn(MODES, behavior)) {
      throw new TypeError('Expected the "behavior" option to be "deferred", "immediate" or "exclusive"');
    }
    const mode = behavior === undefined ? 'write' : MODES[behavior];
    const clientTx = await this.#client.transaction(mode, foreignKeys === undefined ? undefined : { foreignKeys });
    const session = new WasmliteSession<TFullSchema, TSchema>(
      this.#client,
      this.#dialect,
      this.#schema,
      this.#options,
      clientTx,
    );
    const tx = new WasmliteTransaction<TFullSchema, TSchema>(this.#dialect, session, this.#schema);
    let result: T;
    try {
      result = await transaction(tx);
    } catch (error) {
      await clientTx.rollback().catch(() => {});
      throw error;
    }
    await clientTx.commit();
    return result;
  }

  /** @internal The value of a raw `db.all(sql)` item in a batch: rows as objects. */
  extractRawAllValueFromBatchResult(result: unknown): unknown {
    return objectRows(result as ResultSet);
  }

  /** @internal The value of a raw `db.get(sql)` item in a batch: the first row as an object, or undefined. */
  extractRawGetValueFromBatchResult(result: unknown): unknown {
    const rs = result as ResultSet;
    return rs.rows[0] === undefined ? undefined : objectRow(rs.columns, rs.rows[0]);
  }

  /** @internal The value of a raw `db.values(sql)` item in a batch: rows as value arrays. */
  extractRawValuesValueFromBatchResult(result: unknown): unknown {
    return plainRows((result as ResultSet).rows);
  }
}

/**
 * The `tx` of `db.transaction(async (tx) => …)`: a Drizzle database bound to one Client
 * transaction. `tx.transaction(…)` nests through `SAVEPOINT spN`, released on success and
 * rolled back to on failure (the outer transaction goes on).
 *
 * @example
 * await db.transaction(async (tx) => {
 *   await tx.insert(users).values({ name: 'Ada' });
 *   await tx.transaction(async (inner) => inner.update(users).set({ verified: true })).catch(() => {});
 * });
 */
export class WasmliteTransaction<
  TFullSchema extends Record<string, unknown>,
  TSchema extends TablesRelationalConfig,
> extends SQLiteTransaction<'async', ResultSet, TFullSchema, TSchema> {
  static override readonly [entityKind]: string = 'WasmliteTransaction';

  readonly #dialect: SQLiteAsyncDialect;
  readonly #session: WasmliteSession<TFullSchema, TSchema>;
  readonly #schema: RelationalSchemaConfig<TSchema> | undefined;
  readonly #depth: number;

  constructor(
    dialect: SQLiteAsyncDialect,
    session: WasmliteSession<TFullSchema, TSchema>,
    schema: RelationalSchemaConfig<TSchema> | undefined,
    nestedIndex = 0,
  ) {
    super('async', dialect, session, schema, nestedIndex);
    this.#dialect = dialect;
    this.#session = session;
    this.#schema = schema;
    this.#depth = nestedIndex;
  }

  override async transaction<T>(
    transaction: (tx: WasmliteTransaction<TFullSchema, TSchema>) => Promise<T>,
  ): Promise<T> {
    const savepoint = `sp${this.#depth}`;
    const tx = new WasmliteTransaction<TFullSchema, TSchema>(
      this.#dialect,
      this.#session,
      this.#schema,
      this.#depth + 1,
    );
    await this.#session.run(sql.raw(`savepoint ${savepoint}`));
    let result: T;
    try {
      result = await transaction(tx);
    } catch (error) {
      await this.#session.run(sql.raw(`rollback to savepoint ${savepoint}`));
      await this.#session.run(sql.raw(`release savepoint ${savepoint}`));
      throw error;
    }
    await this.#session.run(sql.raw(`release savepoint ${savepoint}`));
    return result;
  }
}
