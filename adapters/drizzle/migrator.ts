import { sql } from 'drizzle-orm';
import { readMigrationFiles, type MigrationConfig } from 'drizzle-orm/migrator';
import type { WasmliteDatabase } from './driver.ts';

export type { MigrationConfig } from 'drizzle-orm/migrator';

/**
 * Applies the migrations `drizzle-kit generate` wrote to `migrationsFolder` that the database
 * has not had yet, all in one write transaction (on the primary, in replica mode), and records
 * each in `__drizzle_migrations` (or `migrationsTable`) with the same layout as Drizzle's own
 * SQLite drivers (`id`, `hash`, `created_at` = the journal's `when`), so a database migrated by
 * drizzle-orm/libsql or better-sqlite3 carries on here and the reverse. Running it again applies
 * nothing; two at once apply each migration once (the second waits for the first's
 * transaction). A failing statement rolls everything back, the database is left as it was, and
 * `migrate` rejects with a `DrizzleQueryError` naming it (the `SqliteError` as `cause`).
 *
 * Foreign keys are off for the transaction: the Client sets `PRAGMA foreign_keys = OFF` before
 * it begins (inside a transaction the pragma is a no-op) and puts the previous setting back (ON
 * by default) when it ends, failure or not, on the primary in replica mode. Otherwise the table
 * rebuilds drizzle-kit generates (`DROP TABLE` of a referenced table) would cascade and delete
 * the referencing rows (Drizzle issue 4640).
 *
 * @example
 * import { migrate } from 'wasmlite/drizzle/migrator';
 * await migrate(db, { migrationsFolder: './drizzle' });
 */
export async function migrate<TSchema extends Record<string, unknown>>(
  db: WasmliteDatabase<TSchema>,
  config: MigrationConfig,
): Promise<void> {
  const migrations = readMigrationFiles(config);
  const table = sql.identifier(config.migrationsTable ?? '__drizzle_migrations');
  await db.transaction(
    async (tx) => {
      await tx.run(
        sql`CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
      );
      // Read inside the write transaction: two migrators at once cannot both apply a migration.
      const [last] = await tx.values<[unknown]>(sql`SELECT created_at FROM ${table} ORDER BY created_at DESC LIMIT 1`);
      const appliedUntil = last === undefined ? undefined : Number(last[0]);
      for (const migration of migrations) {
        if (appliedUntil !== undefined && migration.folderMillis <= appliedUntil) continue;
        for (const statement of migration.sql) {
          if (statement.trim() !== '') await tx.run(sql.raw(statement));
        }
        await tx.run(
          sql`INSERT INTO ${table} ("hash", "created_at") VALUES (${migration.hash}, ${migration.folderMillis})`,
        );
      }
    },
    { behavior: 'immediate', foreignKeys: false },
  );
}
