import {
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
} from 'kysely';
import { WasmliteAdapter } from './wasmlite-adapter.ts';
import type { WasmliteDialectConfig } from './wasmlite-dialect-config.ts';
import { WasmliteDriver } from './wasmlite-driver.ts';

/**
 * The Kysely dialect for wasmlite: Kysely's own SQLite query compiler and introspector, over a
 * wasmlite `Client` (local, or a replica of a primary: reads served locally, writes and write
 * transactions on the primary). Works with kysely 0.28 and 0.29.
 *
 * @example
 * import { Kysely } from 'kysely';
 * import { WasmliteDialect } from 'wasmlite/kysely';
 *
 * const db = new Kysely<DB>({ dialect: new WasmliteDialect({ url: 'file:app.db' }) });
 * const people = await db.selectFrom('person').selectAll().where('id', '=', 1).execute();
 */
export class WasmliteDialect implements Dialect {
  readonly #config: WasmliteDialectConfig;

  constructor(config: WasmliteDialectConfig) {
    if (config === null || typeof config !== 'object')
      throw new TypeError('Expected the "config" argument to be an object');
    if (config.client === undefined && typeof config.url !== 'string')
      throw new TypeError('Expected the "client" or "url" option');
    this.#config = Object.freeze({ ...config });
  }

  createDriver(): Driver {
    return new WasmliteDriver(this.#config);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new WasmliteAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
