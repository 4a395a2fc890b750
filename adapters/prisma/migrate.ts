import { ClientError, LibsqlError, type Client, type Transaction } from '../../core/index.ts';
import { checksumMatches } from './migration-checksum.ts';
import { readMigrationsFolder, type MigrationDirectory } from './migrations-folder.ts';
import {
  createMigrationsTable,
  epochMillis,
  formatTimestamp,
  hasAnyTable,
  hasMigrationsTable,
  readMigrationRecords,
  recordFailed,
  recordFinished,
  recordStarted,
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
  /**
   * The folder `prisma migrate dev` writes to: `<timestamp>_<name>/migration.sql` folders and
   * `migration_lock.toml`.
   */
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
 * SQL commit together or not at all (Prisma's engine runs the script outside a transaction, so a
 * failure there can leave half a migration behind; here it cannot). That transaction is also the
 * lock: two runs at once (two processes through one primary) apply each migration once; the
 * second finds it recorded and skips it. A `migration.sql` must not begin, commit or roll back a
 * transaction of its own: a `BEGIN` fails; a `COMMIT` or `ROLLBACK` is recorded as a failure on a
 * local client, and refused by the primary (a `ClientError`, nothing recorded) through a replica.
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
 * row with Prisma's P3018 text in `logs`, `finished_at` NULL), and `migrate` rejects with `P3018`
 * (the SQLite error as `cause`); the migrations before it stay applied. Until that row is
 * resolved, every run refuses with `P3009`. A pending migration without a readable
 * `migration.sql` rejects with `P3015`. A failure of the client itself (the primary unreachable,
 * the client closed) rejects with that `ClientError` and records nothing. A missing
 * `migrationsFolder` is a `TypeError`.
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
  if (options === null || typeof options !== 'object')
    throw new TypeError('Expected the "options" argument to be an object');
  if (typeof options.migrationsFolder !== 'string' || options.migrationsFolder === '') {
    throw new TypeError('Expected the "migrationsFolder" option to be a non-empty string');
  }
  const { lockProvider, migrations } = readMigrationsFolder(options.migrationsFolder);
  if (lockProvider !== undefined && lockProvider !== PROVIDER) {
    throw new PrismaMigrateError(
      'P3019',
      `P3019: the datasource provider \`${PROVIDER}\` does not match the one specified in the ` +
        `migration_lock.toml, \`${lockProvider}\`: these migrations were written for another database`,
    );
  }

  const pending = await inWriteTransaction(client, async (tx) => {
    if (!(await hasMigrationsTable(tx))) {
      if (await hasAnyTable(tx)) {
        throw new PrismaMigrateError(
          'P3005',
          'P3005: the database schema is not empty (it has tables but no _prisma_migrations): ' +
            'baseline it first, see https://pris.ly/d/migrate-baseline',
        );
      }
      await createMigrationsTable(tx);
    }
    const records = await readMigrationRecords(tx);
    checkHistory(records, migrations);
    return { commit: true, value: migrations.filter((migration) => !isApplied(records, migration.name)) };
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
async function applyMigration(
  client: Client,
  migration: MigrationDirectory,
  all: readonly MigrationDirectory[],
): Promise<boolean> {
  if (migration.script === undefined) {
    throw new PrismaMigrateError(
      'P3015',
      `P3015: could not find the migration file at ${migration.scriptPath} (${migration.readError}): ` +
        "restore it or delete the migration's folder",
      [migration.name],
    );
  }
  const { script, checksum } = migration;
  const startedAt = epochMillis();
  let failure: MigrationFailure | undefined;
  let id: string | undefined;
  const applied = await inWriteTransaction(client, async (tx) => {
    const records = await readMigrationRecords(tx);
    checkHistory(records, all);
    if (isApplied(records, migration.name)) return { commit: false, value: false };
    id = await recordStarted(tx, migration.name, checksum, startedAt);
    try {
      await tx.executeMultiple(script);
      if (tx.closed) throw new ScriptEndedTransaction();
    } catch (error) {
      failure = asMigrationFailure(error);
      if (failure === undefined) throw error;
      return { commit: false, value: false };
    }
    await recordFinished(tx, id);
    return { commit: true, value: true };
  });
  if (failure === undefined) return applied;

  const logs = failureLogs(migration.name, failure);
  await inWriteTransaction(client, async (tx) => {
    const records = await readMigrationRecords(tx);
    // A COMMIT in the script committed this run's row: it gets the logs.
    if (records.some((r) => r.id === id)) await recordFailed(tx, id!, logs);
    // Another run may have recorded the same failure meanwhile: one row is enough.
    else if (records.some((r) => r.migrationName === migration.name && r.rolledBackAt === null))
      return { commit: false, value: undefined };
    else await recordFailed(tx, await recordStarted(tx, migration.name, checksum, startedAt), logs);
    return { commit: true, value: undefined };
  });
  throw new PrismaMigrateError('P3018', `P3018: ${logs.trimEnd()}`, [migration.name], { cause: failure.error });
}

/** What a transaction's work returns: its value, and whether to commit (rather than roll back). */
interface Outcome<T> {
  readonly commit: boolean;
  readonly value: T;
}

/**
 * Runs `work` in a write transaction with foreign keys off, commits or rolls back as it says
 * (and rolls back when it throws), and returns its value.
 */
async function inWriteTransaction<T>(client: Client, work: (tx: Transaction) => Promise<Outcome<T>>): Promise<T> {
  const tx = await client.transaction('write', { foreignKeys: false });
  try {
    const { commit, value } = await work(tx);
    if (commit) await tx.commit();
    else await rollback(tx);
    return value;
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
    // Prisma's P3009 text: one line per failed migration, with its logs.
    const details = failed.map((r) => {
      const logs = r.logs?.trim() ?? '';
      const started = `The \`${r.migrationName}\` migration started at ${formatTimestamp(r.startedAt)} failed`;
      return logs === '' ? started : `${started} with the following logs:\n${logs}`;
    });
    throw new PrismaMigrateError(
      'P3009',
      'P3009: migrate found failed migrations in the target database, new migrations will not be applied; ' +
        'fix the database, then mark each as rolled back (prisma migrate resolve --rolled-back <name>) ' +
        'to apply it again, or as applied (--applied <name>): https://pris.ly/d/migrate-resolve\n' +
        details.join('\n'),
      failed.map((r) => r.migrationName),
    );
  }
  const modified = migrations.filter(
    (m) =>
      m.script !== undefined &&
      records.some(
        (r) => r.migrationName === m.name && r.rolledBackAt === null && !checksumMatches(m.script!, r.checksum),
      ),
  );
  if (modified.length > 0) {
    const names = modified.map((m) => m.name);
    throw new PrismaMigrateError(
      'MIGRATION_MODIFIED',
      `migration.sql of ${names.join(', ')} changed after ${names.length === 1 ? 'it was' : 'they were'} ` +
        'applied: put back the applied version and add a new migration',
      names,
    );
  }
}

/** Whether the history has the migration (a row not rolled back: failed rows were refused before). */
function isApplied(records: readonly MigrationRecord[], name: string): boolean {
  return records.some((r) => r.migrationName === name && r.rolledBackAt === null);
}

/** A `COMMIT`, `END` or `ROLLBACK` in a migration.sql ended the transaction it runs in. */
class ScriptEndedTransaction extends Error {
  constructor() {
    super(
      'migration.sql ended the transaction it runs in (a COMMIT, END or ROLLBACK in it): ' +
        'what it did up to there may have been committed',
    );
  }
}

/** Why a migration's script failed, for Prisma's P3018 text: SQLite's extended result code and message. */
interface MigrationFailure {
  readonly error: Error;
  readonly databaseErrorCode: string;
  readonly databaseError: string;
}

/**
 * The failure of the migration itself: an error SQLite reported for its SQL (a `LibsqlError`
 * with SQLite's result code), or the script ending the transaction. Anything else (the client
 * closed, the primary unreachable) says nothing about the migration: `undefined`.
 */
function asMigrationFailure(error: unknown): MigrationFailure | undefined {
  if (
    error instanceof ScriptEndedTransaction ||
    (error instanceof ClientError && error.code === 'TRANSACTION_CLOSED')
  ) {
    const ended = new ScriptEndedTransaction();
    return { error: ended, databaseErrorCode: 'none', databaseError: ended.message };
  }
  if (error instanceof LibsqlError && error.rawCode !== undefined) {
    const sqliteMessage = error.cause instanceof Error ? error.cause.message : error.message;
    return { error, databaseErrorCode: String(error.rawCode), databaseError: sqliteMessage };
  }
  return undefined;
}

/**
 * The `logs` Prisma's engine records for a migration that failed: its P3018 message (without
 * the engine's tracing span list that follows it there).
 */
function failureLogs(name: string, failure: MigrationFailure): string {
  return (
    'A migration failed to apply. New migrations cannot be applied before the error is recovered from. ' +
    'Read more about how to resolve migration issues in a production database: ' +
    'https://pris.ly/d/migrate-resolve\n\n' +
    `Migration name: ${name}\n\n` +
    `Database error code: ${failure.databaseErrorCode}\n\n` +
    `Database error:\n${failure.databaseError}\n\n`
  );
}
