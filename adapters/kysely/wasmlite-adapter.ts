import { SqliteAdapter } from 'kysely';

/**
 * Kysely's `SqliteAdapter`, with two answers changed because the wasmlite Client provides them:
 *
 * - `supportsTransactionalDdl`: SQLite's DDL is transactional, so `Migrator` runs the pending
 *   migrations in one transaction: a failing migration leaves nothing behind.
 * - `supportsMultipleConnections`: a client transaction makes the client's other calls wait
 *   (locally) or run outside it (replica mode), so Kysely may hand out several connections.
 *
 * The migration lock stays Kysely's no-op, because the migration transaction is the lock: it is
 * a write transaction (`BEGIN IMMEDIATE`; on the primary in replica mode) and `Migrator` reads
 * which migrations have run inside it, so a second migrator, in this process or on another
 * replica, waits for the first one's commit and then finds its migrations recorded. With
 * `disableTransactions: true` there is no transaction, hence no lock: run one migrator at a time.
 *
 * @example
 * // Used by WasmliteDialect; nothing to configure:
 * await new Migrator({ db, provider }).migrateToLatest();
 */
export class WasmliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  override get supportsMultipleConnections(): boolean {
    return true;
  }
}
