import { ClientError } from '../../core/client/client-error.ts';
import type { Client, Transaction } from '../../core/client/types.ts';
import { checksumMatches } from './migration-checksum.ts';
import { readMigrationsFolder, type MigrationDirectory } from './migrations-folder.ts';
import {
  createMigrationsTable, formatTimestamp, hasAnyTable, hasMigrationsTable, readMigrationRecords, recordFailed, recordFinished, recordStarted,
  type MigrationRecord,
} from './migrations-table.ts';
import { PrismaMigrateError } from './prisma-migrate-error.ts';

/** The provider a migrations folder must be locked to (if it has a `migration_lock.toml`). */
const PROVIDER = 'sqlite';

/**
 * Options of {@link migrate}.
 *
 * @example
 * const options: MigrateOptions = { migrationsFolder: './prisma/migrations' };
 */
export interface MigrateOptions {
  /** The folder `prisma migrate dev` writes to: `<timestamp>_<name>/migration.sql` folders and `migration_lock.toml`. */
  migrationsFolder: string;
}

/**
 * What {@link migrate} did (the shape of Prisma's `applyMigrations` answer).
 *
 * @example
 * const { appliedMigrationNames } = await migrate(client, { migrationsFolder });
 */
export interface MigrateResult {
  /** The migrations this call applied, in order; empty when the database was up to date. */
  appliedMigrationNames: string[];
}

/**
 * `prisma migrate deploy` without Prisma's native schema engine: applies the migrations of a
 * Prisma migrations folder that the database has not had yet, in Prisma's order, through a
 * wasmlite `Client` (so, with a replica client, on the primary, while the primary keeps the
 * file), and keeps `_prisma_migrations` as Prisma's SQLite engine does: the same table, one row
 * per applied migration with a random UUID, the SHA-256 checksum of `migration.sql`,
 * `started_at` and `finished_at` in epoch milliseconds and `applied_steps_count` 1. `prisma
 * migrate status`, `migrate deploy` and `migrate resolve` carry on from what it recorded, and it
 * carries on from theirs.
 *
 * Each migration is one write transaction with foreign keys off (a table rebuild by Prisma drops
 * and recreates referenced tables; with enforcement on, the drop would cascade): its row and its
 * SQL commit together or not at all. That transaction is also the lock: two runs at once (two
 * processes through one primary) apply each migration once; the second finds it recorded and
 * skips it. A `migration.sql` must not begin or commit a transaction of its own.
 *
 * Refuses before applying anything, with a {@link PrismaMigrateError}:
 * - `P3019`: `migration_lock.toml` names another provider;
 * - `P3005`: the database has tables but no `_prisma_migrations` (baseline it first);
 * - `P3009`: a migration is recorded as failed (resolve it first, e.g. with `prisma migrate
 *   resolve --rolled-back <name>`, or by setting its `rolled_back_at`);
 * - `MIGRATION_MODIFIED`: an applied migration's `migration.sql` changed since (line endings do
 *   not count). Prisma's own `deploy` applies the rest regardless; this stops instead.
 *
 * A migration whose SQL fails is rolled back whole and recorded as Prisma records a failure (its
 * row with `logs`, `finished_at` NULL), and `migrate` rejects with `P3018` (the SQLite error as
 * `cause`); the migrations before it stay applied. Until that row is resolved, every run refuses
 * with `P3009`. A missing `migrationsFolder` is a `TypeError`.
 *
 * @example
 * import { createClient } from 'wasmlite';
 * import { migrate } from 'wasmlite/prisma';
 *
 * const client = createClient({ url: 'file:replica.db', syncUrl: 'http://10.0.0.5:7878' });
 * const { appliedMigrationNames } = await migrate(client, { migrationsFolder: './prisma/migrations' });
 */
export async function migrate(client: Client, options: MigrateOptions): Promise<MigrateResult> {
  if (client === null || typeof client !== 'object' || typeof client.transaction !== 'function') {
    throw new TypeError('Expected the first argument to be a wasmlite Client');
  }
  if (options === null || typeof options !== 'object') throw new TypeError('Expected the "options" argument to be an object');
  if (typeof options.migrationsFolder !== 'string' || options.migrationsFolder === '') {
    throw new TypeError('Expected the "migrationsFolder" option to be a non-empty string');
  }
  const { lockProvider, migrations } = readMigrationsFolder(options.migrationsFolder);
  if (lockProvider !== undefined && lockProvider !== PROVIDER) {
    throw new PrismaMigrateError('P3019', `P3019: the migrations folder is locked to provider "${lockProvider}" (migration_lock.toml), not "${PROVIDER}": these migrations were written for another database`);
  }

  const pending = await inWriteTransaction(client, async (tx) => {
    if (!(await hasMigrationsTable(tx))) {
      if (await hasAnyTable(tx)) {
        throw new PrismaMigrateError('P3005', 'P3005: the database schema is not empty but has no _prisma_migrations table: it was not created by Prisma Migrate; baseline it first (mark the migrations it already has as applied)');
      }
      await createMigrationsTable(tx);
    }
    const records = await readMigrationRecords(tx);
    checkHistory(records, migrations);
    return migrations.filter((migration) => !isApplied(records, migration.name));
  });

  const appliedMigrationNames: string[] = [];
  for (const migration of pending) {
    if (await applyMigration(client, migration, migrations)) appliedMigrationNames.push(migration.name);
  }
  return { appliedMigrationNames };
}

/**
 * Applies one migration in its own write transaction, unless another run applied it meanwhile
 * (read in that transaction, so two runs cannot both apply it). Returns whether it applied it.
 */
async function applyMigration(client: Client, migration: MigrationDirectory, all: readonly MigrationDirectory[]): Promise<boolean> {
  if (migration.script === undefined) {
    throw new PrismaMigrateError('MIGRATION_UNREADABLE', `cannot read migration ${migration.name}: ${migration.readError}`, [migration.name]);
  }
  const script = migration.script;
  let failure: unknown;
  const applied = await inWriteTransaction(client, async (tx) => {
    const records = await readMigrationRecords(tx);
    checkHistory(records, all);
    if (isApplied(records, migration.name)) return false;
    const id = await recordStarted(tx, migration.name, migration.checksum);
    try {
      await tx.executeMultiple(script);
    } catch (error) {
      // The connection, not the SQL, failed: the transaction is rolled back and nothing is recorded.
      if (isConnectionFailure(error)) throw error;
      failure = error;
      return false; // rolled back: nothing of the migration is kept
    }
    await recordFinished(tx, id);
    return true;
  });
  if (failure === undefined) return applied;

  const logs = failureLogs(migration.name, failure);
  await inWriteTransaction(client, async (tx) => {
    // Another run may have recorded the same failure meanwhile: one row is enough.
    const records = await readMigrationRecords(tx);
    if (records.some((r) => r.migrationName === migration.name && r.rolledBackAt === null)) return false;
    await recordFailed(tx, await recordStarted(tx, migration.name, migration.checksum), logs);
    return true;
  });
  throw new PrismaMigrateError('P3018', `P3018: ${logs}`, [migration.name], { cause: failure });
}

/**
 * Runs `work` in a write transaction with foreign keys off; commits if it returns `true` or a
 * value other than `false`, rolls back otherwise and when it throws.
 */
async function inWriteTransaction<T>(client: Client, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const tx = await client.transaction('write', { foreignKeys: false });
  try {
    const result = await work(tx);
    if (result === false) await rollback(tx);
    else await tx.commit();
    return result;
  } catch (error) {
    await rollback(tx);
    throw error;
  } finally {
    tx.close();
  }
}

/** Rolls back and waits for it; a transaction SQLite (or the primary) already ended needs nothing more. */
async function rollback(tx: Transaction): Promise<void> {
  try {
    await tx.rollback();
  } catch {
    // Already over: nothing of it was committed.
  }
}

/** Refuses a history Prisma would not deploy on (P3009), or one whose applied scripts changed. */
function checkHistory(records: readonly MigrationRecord[], migrations: readonly MigrationDirectory[]): void {
  const failed = records.filter((r) => r.finishedAt === null && r.rolledBackAt === null);
  if (failed.length > 0) {
    const details = failed.map((r) => `the ${r.migrationName} migration started at ${formatTimestamp(r.startedAt)} failed`).join('; ');
    throw new PrismaMigrateError(
      'P3009',
      `P3009: failed migrations in the database, no new migration is applied until they are resolved: ${details}. Fix the database, then mark each as rolled back (prisma migrate resolve --rolled-back <name>) to apply it again, or as applied (--applied <name>)`,
      failed.map((r) => r.migrationName),
    );
  }
  const modified = migrations.filter((m) => m.script !== undefined
    && records.some((r) => r.migrationName === m.name && r.rolledBackAt === null && !checksumMatches(m.script!, r.checksum)));
  if (modified.length > 0) {
    const names = modified.map((m) => m.name);
    throw new PrismaMigrateError('MIGRATION_MODIFIED', `migration.sql of ${names.join(', ')} changed after ${names.length === 1 ? 'it was' : 'they were'} applied: put back the applied version and add a new migration`, names);
  }
}

/** Whether the history has the migration (a row not rolled back: failed rows were refused before). */
function isApplied(records: readonly MigrationRecord[], name: string): boolean {
  return records.some((r) => r.migrationName === name && r.rolledBackAt === null);
}

/** Client errors that say nothing about the migration's SQL: the primary or the client went away. */
const CONNECTION_FAILURES: ReadonlySet<string> = new Set(['PRIMARY_UNREACHABLE', 'CLIENT_CLOSED', 'TRANSACTION_CLOSED']);

function isConnectionFailure(error: unknown): boolean {
  return error instanceof ClientError && CONNECTION_FAILURES.has(error.code);
}

function failureLogs(name: string, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return `migration ${name} failed to apply and was rolled back (nothing of it was kept): ${typeof code === 'string' ? `${code}: ` : ''}${message}`;
}
