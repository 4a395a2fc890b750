import type { DatabaseConnection } from 'kysely';
import type { Client, Config } from '../../core/index.ts';

/**
 * What `WasmliteDialect` runs on: an existing wasmlite `Client` (it stays yours: the dialect
 * does not close it), or the options of `createClient` (`url`, and `syncUrl`/`authToken` for a
 * replica of a primary), in which case the dialect opens the client and closes it on `destroy()`.
 *
 * @example
 * new WasmliteDialect({ client });
 * new WasmliteDialect({ url: 'file:app.db' });
 * new WasmliteDialect({ url: 'file:replica.db', syncUrl: 'http://127.0.0.1:7878' });
 */
export type WasmliteDialectConfig = ({ client: Client } | (Config & { client?: undefined })) & {
  /** Called once per new connection, e.g. to run `PRAGMA foreign_keys = ON`. */
  onCreateConnection?: (connection: DatabaseConnection) => Promise<void>;
};
