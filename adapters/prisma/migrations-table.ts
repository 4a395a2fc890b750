import crypto from 'node:crypto';
import type { Transaction, Value } from '../../core/index.ts';

/** The table Prisma Migrate keeps its history in. */
export const MIGRATIONS_TABLE = '_prisma_migrations';

/**
 * The table as Prisma's SQLite schema engine creates it (`create_migrations_table` of its SQLite
 * connector), to the character: SQLite keeps this text in `sqlite_master.sql`, so a database
 * migrated here and one migrated by `prisma migrate deploy` have the same schema.
 *
 * @example
 * await tx.execute(MIGRATIONS_TABLE_SQL);
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
 * One row of `_prisma_migrations`. Timestamps are as stored: Prisma's SQLite engine and
 * {@link recordStarted} write epoch milliseconds (an INTEGER); a row written by hand may hold
 * text (`current_timestamp`'s `2024-01-01 12:00:00`), which Prisma reads as well.
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

/**
 * Whether the database has the table (read in `tx`).
 *
 * @example
 * if (!(await hasMigrationsTable(tx))) await createMigrationsTable(tx);
 */
export async function hasMigrationsTable(tx: Transaction): Promise<boolean> {
  const { rows } = await tx.execute({
    sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    args: [MIGRATIONS_TABLE],
  });
  return rows.length > 0;
}

/**
 * Whether the database has any table at all, `sqlite_sequence` and `sqlite_stat1` included: the
 * test by which Prisma's SQLite engine refuses a schema Migrate did not create (it ignores no
 * SQLite table).
 *
 * @example
 * if (await hasAnyTable(tx)) throw new PrismaMigrateError('P3005', …);
 */
export async function hasAnyTable(tx: Transaction): Promise<boolean> {
  const { rows } = await tx.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1");
  return rows.length > 0;
}

/**
 * Creates the table ({@link MIGRATIONS_TABLE_SQL}).
 *
 * @example
 * await createMigrationsTable(tx);
 */
export async function createMigrationsTable(tx: Transaction): Promise<void> {
  await tx.execute(MIGRATIONS_TABLE_SQL);
}

/**
 * The rows, in the order Prisma reads them (by `started_at`).
 *
 * @example
 * const applied = (await readMigrationRecords(tx)).filter((r) => r.finishedAt !== null);
 */
export async function readMigrationRecords(tx: Transaction): Promise<MigrationRecord[]> {
  const { rows } = await tx.execute(
    'SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, logs, applied_steps_count ' +
      'FROM "_prisma_migrations" ORDER BY started_at ASC',
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
 * Records a migration about to be applied, as Prisma's engine does before it runs the script:
 * the columns `id` (a random v4 UUID, lowercase, hyphenated), `checksum`, `started_at` and
 * `migration_name`, the others left to the table's defaults. `startedAt` is epoch milliseconds,
 * the form Prisma's SQLite engine binds its timestamps in; it is bound as a bigint so that SQLite
 * stores an INTEGER whatever the client's number binding. Returns the id.
 *
 * @example
 * const id = await recordStarted(tx, '20240101000000_init', checksum, epochMillis());
 */
export async function recordStarted(
  tx: Transaction,
  migrationName: string,
  checksum: string,
  startedAt: bigint,
): Promise<string> {
  const id = crypto.randomUUID();
  await tx.execute({
    sql: 'INSERT INTO "_prisma_migrations" ("id", "checksum", "started_at", "migration_name") VALUES (?, ?, ?, ?)',
    args: [id, checksum, startedAt, migrationName],
  });
  return id;
}

/**
 * Records the script's success, as Prisma's engine does (`applied_steps_count` one more, then
 * `finished_at` now; here in one statement, with the same result).
 *
 * @example
 * await recordFinished(tx, id);
 */
export async function recordFinished(tx: Transaction, id: string): Promise<void> {
  await tx.execute({
    sql:
      'UPDATE "_prisma_migrations" SET "applied_steps_count" = "applied_steps_count" + 1, "finished_at" = ? ' +
      'WHERE "id" = ?',
    args: [epochMillis(), id],
  });
}

/**
 * Records the script's failure, as Prisma's engine does: its `logs`, with `finished_at` left NULL
 * and `applied_steps_count` 0. Prisma refuses to deploy (P3009) while such a row is not rolled back.
 *
 * @example
 * await recordFailed(tx, id, logs);
 */
export async function recordFailed(tx: Transaction, id: string, logs: string): Promise<void> {
  await tx.execute({ sql: 'UPDATE "_prisma_migrations" SET "logs" = ? WHERE "id" = ?', args: [logs, id] });
}

/**
 * Now, in epoch milliseconds, as a bigint (what SQLite stores as an INTEGER).
 *
 * @example
 * epochMillis(); // 1704110400123n
 */
export function epochMillis(): bigint {
  return BigInt(Date.now());
}

/**
 * A stored timestamp as Prisma prints it in its P3009 error (`2024-01-01 12:00:00.123 UTC`, the
 * fraction left out when it is zero): epoch milliseconds and SQLite's date text are both read.
 *
 * @example
 * formatTimestamp(1704110400123); // '2024-01-01 12:00:00.123 UTC'
 */
export function formatTimestamp(value: Value): string {
  const ms = typeof value === 'string' && !/^-?\d+$/.test(value) ? Date.parse(sqliteDateAsIso(value)) : Number(value);
  if (!Number.isFinite(ms)) return String(value);
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.000Z$|Z$/, ' UTC');
}

/** `2024-01-01 12:00:00` (SQLite's `current_timestamp`, UTC) as ISO text; other text unchanged. */
function sqliteDateAsIso(text: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
}
