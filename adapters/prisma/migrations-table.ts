import crypto from 'node:crypto';
import type { Transaction, Value } from '../../core/client/types.ts';

/** The table Prisma Migrate keeps its history in. */
export const MIGRATIONS_TABLE = '_prisma_migrations';

/**
 * The table exactly as Prisma's SQLite schema engine creates it (same text in `sqlite_master`),
 * so a database migrated here and one migrated by `prisma migrate deploy` are the same.
 */
export const MIGRATIONS_TABLE_SQL = `CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

/**
 * One row of `_prisma_migrations`. Timestamps are as stored: Prisma's native engine writes epoch
 * milliseconds (and so does {@link migrate}); Prisma through a driver adapter writes ISO text.
 *
 * @example
 * const failed = records.filter((r) => r.finishedAt === null && r.rolledBackAt === null);
 */
export interface MigrationRecord {
  readonly id: string;
  readonly checksum: string;
  readonly migrationName: string;
  readonly startedAt: Value;
  readonly finishedAt: Value;
  readonly rolledBackAt: Value;
  readonly logs: string | null;
  readonly appliedStepsCount: number;
}

/** Whether the database has the table (read in `tx`). */
export async function hasMigrationsTable(tx: Transaction): Promise<boolean> {
  const { rows } = await tx.execute({ sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", args: [MIGRATIONS_TABLE] });
  return rows.length > 0;
}

/** Whether the database has any table at all (Prisma's test for a schema Migrate did not create). */
export async function hasAnyTable(tx: Transaction): Promise<boolean> {
  const { rows } = await tx.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1");
  return rows.length > 0;
}

/** Creates the table. */
export async function createMigrationsTable(tx: Transaction): Promise<void> {
  await tx.execute(MIGRATIONS_TABLE_SQL);
}

/** The rows, in the order Prisma reads them (by `started_at`). */
export async function readMigrationRecords(tx: Transaction): Promise<MigrationRecord[]> {
  const { rows } = await tx.execute(
    'SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, logs, applied_steps_count FROM "_prisma_migrations" ORDER BY started_at ASC',
  );
  return rows.map((row) => ({
    id: String(row[0]),
    checksum: String(row[1]),
    migrationName: String(row[2]),
    startedAt: row[3]!,
    finishedAt: row[4]!,
    rolledBackAt: row[5]!,
    logs: row[6] === null ? null : String(row[6]),
    appliedStepsCount: Number(row[7]),
  }));
}

/**
 * Records a migration about to be applied, as Prisma does before it runs the script: a random
 * UUID, the checksum, `started_at` now (epoch milliseconds, Prisma's native SQLite format; bound
 * as a bigint so it is stored as an INTEGER whatever the client's number binding), everything
 * else at the table's defaults. Returns the id.
 */
export async function recordStarted(tx: Transaction, migrationName: string, checksum: string): Promise<string> {
  const id = crypto.randomUUID();
  await tx.execute({
    sql: 'INSERT INTO "_prisma_migrations" ("id", "checksum", "started_at", "migration_name") VALUES (?, ?, ?, ?)',
    args: [id, checksum, now(), migrationName],
  });
  return id;
}

/** Records the script's success, as Prisma does: one more applied step, `finished_at` now. */
export async function recordFinished(tx: Transaction, id: string): Promise<void> {
  await tx.execute({
    sql: 'UPDATE "_prisma_migrations" SET "applied_steps_count" = "applied_steps_count" + 1, "finished_at" = ? WHERE "id" = ?',
    args: [now(), id],
  });
}

/** Records the script's failure, as Prisma does: its logs, `finished_at` left NULL. */
export async function recordFailed(tx: Transaction, id: string, logs: string): Promise<void> {
  await tx.execute({ sql: 'UPDATE "_prisma_migrations" SET "logs" = ? WHERE "id" = ?', args: [logs, id] });
}

function now(): bigint {
  return BigInt(Date.now());
}

/**
 * A stored timestamp as Prisma prints it in its failed-migration error (`2024-01-01 12:00:00.123 UTC`):
 * epoch milliseconds and ISO text are both read.
 */
export function formatTimestamp(value: Value): string {
  const ms = typeof value === 'string' && !/^-?\d+$/.test(value) ? Date.parse(value) : Number(value);
  if (!Number.isFinite(ms)) return String(value);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}
