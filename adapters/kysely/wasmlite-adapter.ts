import { SqliteAdapter, type Kysely, type MigrationLockOptions } from 'kysely';
import { WasmliteConnection } from './wasmlite-connection.ts';

/**
 * Kysely's `SqliteAdapter`, with two answers changed because the wasmlite Client provides them:
 *
 * - `supportsTransactionalDdl`: SQLite's DDL is transactional, so `Migrator` runs the pending
 *   migrations in one transaction: a failing migration leaves nothing behind.
 * - `supportsMultipleConnections`: a client transaction makes the client's other calls wait
 *   (locally) or run outside it (replica mode), so Kysely may hand out several connections.
 *
 * The migration lock is the migration transaction itself: it is a write transaction (`BEGIN
 * IMMEDIATE`; on the primary in replica mode) and `Migrator` reads which migrations have run
 * inside it, so a second migrator, in this process or on another replica, waits for the first
 * one's commit and then finds its migrations recorded. With
 * `disableTransactions: true` there is no transaction, hence no lock: run one migrator at a time.
 *
 * `acquireMigrationLock` only marks the migrator's connection, so that its next transaction is
 * begun as a migration's: with foreign keys off (SQLite's procedure for schema changes:
 * rebuilding a referenced table must not cascade), and `PRAGMA foreign_key_check` must come back
 * empty before it commits, so a migration cannot leave a dangling reference behind.
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

  /** Marks the migrator's connection, whose next transaction is the migration's. */
  override async acquireMigrationLock(db: Kysely<any>, _options: MigrationLockOptions): Promise<void> {
    await db.getExecutor().provideConnection(async (connection) => {
      if (connection instanceof WasmliteConnection) connection.startMigration();
    });
  }

  override async releaseMigrationLock(db: Kysely<any>, _options: MigrationLockOptions): Promise<void> {
    await db.getExecutor().provideConnection(async (connection) => {
      if (connection instanceof WasmliteConnection) connection.endMigration();
    });
  }
}
