import {
  createTableRelationsHelpers,
  DefaultLogger,
  entityKind,
  extractTablesRelationalConfig,
  type ExtractTablesWithRelations,
  type DrizzleConfig,
  type Logger,
  type RelationalSchemaConfig,
  type TablesRelationalConfig,
} from 'drizzle-orm';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import { BaseSQLiteDatabase, SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { createClient, type Client, type Config, type ResultSet } from '../../core/index.ts';
import { WasmliteSession, type WasmliteTransaction, type WasmliteTransactionConfig } from './session.ts';

/**
 * A Drizzle database over a wasmlite {@link Client}: everything of drizzle-orm's async SQLite
 * API (`select/insert/update/delete`, `run/all/get/values`, `db.query.*`, `$count`,
 * `transaction`) plus `batch`. `$client` is the Client.
 *
 * @example
 * const [user] = await db.insert(users).values({ name: 'Ada' }).returning();
 */
export class WasmliteDatabase<
  TSchema extends Record<string, unknown> = Record<string, never>,
> extends BaseSQLiteDatabase<'async', ResultSet, TSchema> {
  static override readonly [entityKind]: string = 'WasmliteDatabase';

  readonly #session: WasmliteSession<TSchema, ExtractTablesWithRelations<TSchema>>;

  constructor(
    dialect: SQLiteAsyncDialect,
    session: WasmliteSession<TSchema, ExtractTablesWithRelations<TSchema>>,
    schema: RelationalSchemaConfig<TablesRelationalConfig> | undefined,
  ) {
    super('async', dialect, session, schema as RelationalSchemaConfig<any>);
    this.#session = session;
  }

  /**
   * Runs `transaction` in one Client transaction (see {@link WasmliteTransactionConfig}): a `write`
   * one unless `behavior: 'deferred'`; on the primary in replica mode. Calls on `db` made
   * meanwhile never run inside it: they wait for its end (reads through a replica run on the
   * replica's file at once).
   *
   * @example
   * await db.transaction(async (tx) => {
   *   await tx.update(accounts).set({ balance: sql`balance - 10` }).where(eq(accounts.id, 1));
   *   await tx.update(accounts).set({ balance: sql`balance + 10` }).where(eq(accounts.id, 2));
   * });
   */
  override async transaction<T>(
    transaction: (tx: WasmliteTransaction<TSchema, ExtractTablesWithRelations<TSchema>>) => Promise<T>,
    config?: WasmliteTransactionConfig,
  ): Promise<T> {
    return this.#session.transaction(transaction, config);
  }

  /**
   * Runs the queries as one Client batch: one transaction, all or nothing, each result as its
   * query would give it on its own. A batch of reads only runs on the local replica in replica
   * mode; one with any write runs on the primary.
   *
   * @example
   * const [, all] = await db.batch([db.insert(users).values({ name: 'Ada' }), db.select().from(users)]);
   */
  async batch<U extends BatchItem<'sqlite'>, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>> {
    return this.#session.batch(batch) as Promise<BatchResponse<T>>;
  }
}

/** Where `drizzle({ connection })` opens its Client: a `file:` URL, or `createClient`'s options. */
export type WasmliteConnection = string | Config;

/** A Drizzle database with its Client. */
export type WasmliteDrizzle<
  TSchema extends Record<string, unknown>,
  TClient extends Client = Client,
> = WasmliteDatabase<TSchema> & { $client: TClient };

/**
 * Creates a Drizzle database over a wasmlite Client: `drizzle(client, config?)`,
 * `drizzle({ client, ...config })`, `drizzle('file:app.db', config?)` or
 * `drizzle({ connection: { url, syncUrl?, authToken? }, ...config })`. `config` is Drizzle's:
 * `schema` (for `db.query`), `logger`, `casing`, `cache`.
 *
 * With a `syncUrl` the Client is a replica of that primary (`wasmlite/replication` is loaded on
 * first use): selects run on the local file, writes and transactions on the primary, and a
 * select after an insert sees the insert. Throws a ClientError for a URL the Client cannot use.
 *
 * @example
 * import { createClient } from 'wasmlite';
 * import { drizzle } from 'wasmlite/drizzle';
 * const db = drizzle(createClient({ url: 'file:app.db' }), { schema });
 * const replicaDb = drizzle({ connection: { url: 'file:replica.db', syncUrl: 'http://primary:7878' }, schema });
 */
export function drizzle<
  TSchema extends Record<string, unknown> = Record<string, never>,
  TClient extends Client = Client,
>(
  ...params:
    | [TClient | string]
    | [TClient | string, DrizzleConfig<TSchema>]
    | [DrizzleConfig<TSchema> & ({ connection: WasmliteConnection } | { client: TClient })]
): WasmliteDrizzle<TSchema, TClient> {
  const [first, second] = params;
  if (typeof first === 'string')
    return construct(createClient({ url: first }), second) as WasmliteDrizzle<TSchema, TClient>;
  if (isClient(first)) return construct(first, second);
  if (first === null || typeof first !== 'object') {
    throw new TypeError('Expected a wasmlite Client, a file: URL, or a config with "client" or "connection"');
  }
  if ('client' in first && first.client !== undefined) {
    const { client, ...config } = first;
    return construct(client, config);
  }
  if ('connection' in first && first.connection !== undefined) {
    const { connection, ...config } = first;
    return construct(openClient(connection), config) as WasmliteDrizzle<TSchema, TClient>;
  }
  throw new TypeError('Expected a wasmlite Client, a file: URL, or a config with "client" or "connection"');
}

function openClient(connection: WasmliteConnection): Client {
  const config: Config = typeof connection === 'string' ? { url: connection } : connection;
  // With a syncUrl, createClient loads the replication module itself on first use.
  return createClient(config);
}

function isClient(value: unknown): value is Client {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Client).execute === 'function' &&
    typeof (value as Client).transaction === 'function'
  );
}

function construct<TSchema extends Record<string, unknown>, TClient extends Client>(
  client: TClient,
  config: DrizzleConfig<TSchema> = {},
): WasmliteDrizzle<TSchema, TClient> {
  const dialect = new SQLiteAsyncDialect({ casing: config.casing });
  let logger: Logger | undefined;
  if (config.logger === true) logger = new DefaultLogger();
  else if (config.logger !== false) logger = config.logger;

  let schema: RelationalSchemaConfig<TablesRelationalConfig> | undefined;
  if (config.schema) {
    const tables = extractTablesRelationalConfig(config.schema, createTableRelationsHelpers);
    schema = { fullSchema: config.schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap };
  }
  const session = new WasmliteSession(client, dialect, schema, { logger, cache: config.cache });
  const db = new WasmliteDatabase<TSchema>(
    dialect,
    session as WasmliteSession<TSchema, ExtractTablesWithRelations<TSchema>>,
    schema,
  ) as WasmliteDrizzle<TSchema, TClient>;
  db.$client = client;
  const cache = config.cache;
  if (cache !== undefined) {
    (db as unknown as { $cache: unknown }).$cache = cache;
    // Drizzle's own drivers expose the cache's invalidation as $cache.invalidate.
    (cache as unknown as { invalidate: unknown }).invalidate = cache.onMutate;
  }
  return db;
}
