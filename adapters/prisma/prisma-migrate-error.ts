import { WasmliteError } from '../../core/index.ts';
/**
 * Why {@link migrate} refused or stopped. Where Prisma Migrate has an error code for the same
 * situation, the code is Prisma's:
 *
 * - `P3005`: the database has tables but no `_prisma_migrations` table (it was not created by
 *   Prisma Migrate: baseline it first);
 * - `P3009`: a migration recorded as failed (started, never finished nor rolled back) is in the
 *   table: nothing more is applied until it is resolved;
 * - `P3015`: a migration to apply has no readable `migration.sql`;
 * - `P3018`: a migration's SQL failed: it was recorded as failed, nothing of it was kept, and
 *   the SQLite error (a `LibsqlError`) is the `cause`;
 * - `P3019`: `migration_lock.toml` names another provider than `sqlite`;
 * - `MIGRATION_MODIFIED`: an applied migration's `migration.sql` no longer has the recorded
 *   checksum (Prisma's `migrate deploy` goes on regardless, `migrate status` reports it).
 *
 * @example
 * try {
 *   await migrate(client, { migrationsFolder: './prisma/migrations' });
 * } catch (error) {
 *   if (error instanceof PrismaMigrateError && error.code === 'P3009') console.error(error.migrationNames);
 * }
 */
export class PrismaMigrateError extends WasmliteError {
  /** What went wrong (see the class). */
  declare readonly code: PrismaMigrateErrorCode;
  /** The migrations concerned, by folder name (empty for P3005 and P3019). */
  readonly migrationNames: readonly string[];

  constructor(
    code: PrismaMigrateErrorCode,
    message: string,
    migrationNames: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, code, options);
    this.migrationNames = migrationNames;
  }

  override get name(): string {
    return 'PrismaMigrateError';
  }
}

/**
 * Codes of {@link PrismaMigrateError}.
 *
 * @example
 * const code: PrismaMigrateErrorCode = 'P3009';
 */
export type PrismaMigrateErrorCode = 'P3005' | 'P3009' | 'P3015' | 'P3018' | 'P3019' | 'MIGRATION_MODIFIED';
