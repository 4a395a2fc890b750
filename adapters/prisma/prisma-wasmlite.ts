import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { createClient, type Client, type Config } from '../../core/index.ts';
import type { TimestampFormat } from './conversion.ts';
import { WasmliteAdapter } from './wasmlite-adapter.ts';
import { ADAPTER_NAME } from './wasmlite-queryable.ts';

/**
 * Where `PrismaWasmlite` connects: wasmlite `createClient` options (integers are always read as bigints).
 *
 * @example
 * const config: PrismaWasmliteConfig = { url: 'file:replica.db', syncUrl: 'http://127.0.0.1:7878', authToken };
 */
export type PrismaWasmliteConfig = Omit<Config, 'intMode'>;

/**
 * Options of {@link PrismaWasmlite}.
 *
 * @example
 * new PrismaWasmlite({ url: 'file:dev.db' }, { timestampFormat: 'unixepoch-ms', shadowDatabaseUrl: 'file:shadow.db' });
 */
export interface PrismaWasmliteOptions {
  /**
   * How `DateTime` values are written: `'iso8601'` text (default, as Prisma 7's SQLite adapters)
   * or `'unixepoch-ms'` numbers (the format of data written by Prisma 6 and earlier). Both are read.
   */
  timestampFormat?: TimestampFormat;
  /** `file:` URL of the shadow database used by `prisma migrate dev` (default `:memory:`). */
  shadowDatabaseUrl?: string;
}

/**
 * The Prisma 7 driver adapter factory for wasmlite: SQLite with no native code, locally or as a
 * replica of a wasmlite primary (reads local, writes and interactive transactions on the primary,
 * read-your-writes).
 *
 * Give it `createClient` options (the client is created on `connect()` and closed on
 * `$disconnect()`), or a `Client` you created (best with `intMode: 'bigint'`; you close it).
 *
 * @example
 * import { PrismaClient } from './generated/prisma/client.ts';
 * import { PrismaWasmlite } from 'wasmlite/prisma';
 *
 * const prisma = new PrismaClient({ adapter: new PrismaWasmlite({ url: 'file:./dev.db' }) });
 * // a replica of a wasmlite primary:
 * const replica = new PrismaClient({
 *   adapter: new PrismaWasmlite({ url: 'file:./replica.db', syncUrl: 'http://127.0.0.1:8080', authToken }),
 * });
 */
export class PrismaWasmlite implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'sqlite';
  readonly adapterName = ADAPTER_NAME;
  readonly #source: Client | PrismaWasmliteConfig;
  readonly #timestampFormat: TimestampFormat;
  readonly #shadowDatabaseUrl: string;

  constructor(clientOrConfig: Client | PrismaWasmliteConfig, options: PrismaWasmliteOptions = {}) {
    if (clientOrConfig === null || typeof clientOrConfig !== 'object') {
      throw new TypeError('Expected the first argument to be a wasmlite Client or createClient options');
    }
    if (!isClient(clientOrConfig) && (typeof clientOrConfig.url !== 'string' || clientOrConfig.url === '')) {
      throw new TypeError('Expected the "url" option to be a non-empty string');
    }
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected the "options" argument to be an object');
    const timestampFormat = options.timestampFormat ?? 'iso8601';
    if (timestampFormat !== 'iso8601' && timestampFormat !== 'unixepoch-ms') {
      throw new TypeError('Expected the "timestampFormat" option to be "iso8601" or "unixepoch-ms"');
    }
    if (options.shadowDatabaseUrl !== undefined && typeof options.shadowDatabaseUrl !== 'string') {
      throw new TypeError('Expected the "shadowDatabaseUrl" option to be a string');
    }
    this.#source = isClient(clientOrConfig) ? clientOrConfig : { ...clientOrConfig };
    this.#timestampFormat = timestampFormat;
    this.#shadowDatabaseUrl = options.shadowDatabaseUrl ?? ':memory:';
  }

  /** Opens the client (`createClient` loads replication itself when `syncUrl` is given) and returns the adapter. */
  async connect(): Promise<WasmliteAdapter> {
    if (isClient(this.#source)) return new WasmliteAdapter(this.#source, this.#timestampFormat, false);
    return new WasmliteAdapter(createClient({ ...this.#source, intMode: 'bigint' }), this.#timestampFormat, true);
  }

  /** A local database for `prisma migrate dev`'s shadow database (`shadowDatabaseUrl`, default `:memory:`). */
  async connectToShadowDb(): Promise<WasmliteAdapter> {
    return new WasmliteAdapter(
      createClient({ url: this.#shadowDatabaseUrl, intMode: 'bigint' }),
      this.#timestampFormat,
      true,
    );
  }
}

function isClient(value: object): value is Client {
  return (
    typeof (value as Partial<Client>).execute === 'function' &&
    typeof (value as Partial<Client>).transaction === 'function'
  );
}
