import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { FileMigrationProvider, Migrator, NO_MIGRATIONS, type MigrationProvider } from 'kysely/migration';
import { describe, expect, it } from 'vitest';
import { LibsqlError } from '../../../../core/index.ts';
import type { ClientKind } from '../../support/clients.ts';
import { useKysely } from './setup.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function migrator(db: Kysely<any>, folder = 'migrations'): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: path.join(here, '..', folder) }),
  });
}

async function tableNames(db: Kysely<any>): Promise<string[]> {
  return (await db.introspection.getTables()).map((t) => t.name).sort();
}

/** Kysely's `Migrator` with `FileMigrationProvider`: up, down, failures, and two at once. */
export function migrationCases(kind: ClientKind, version: '0.28' | '0.29'): void {
  const kysely = useKysely();

  describe('migrations', () => {
    it('migrates up to the latest, then down step by step, then to none', async () => {
      const { db } = await kysely.open(kind);
      const up = await migrator(db).migrateToLatest();
      expect(up.error).toBeUndefined();
      expect(up.results).toEqual([
        { migrationName: '2024-01-01-person', direction: 'Up', status: 'Success' },
        { migrationName: '2024-01-02-pet', direction: 'Up', status: 'Success' },
      ]);
      expect(await tableNames(db)).toEqual(['person', 'pet']);
      expect(await db.selectFrom('person').selectAll().execute()).toEqual([{ id: 1, name: 'first' }]);

      const again = await migrator(db).migrateToLatest();
      expect(again).toEqual({ results: [] });

      const down = await migrator(db).migrateDown();
      expect(down.results).toEqual([{ migrationName: '2024-01-02-pet', direction: 'Down', status: 'Success' }]);
      expect(await tableNames(db)).toEqual(['person']);
      expect(await db.selectFrom('person').selectAll().execute()).toEqual([]);

      const none = await migrator(db).migrateTo(NO_MIGRATIONS);
      expect(none.results).toEqual([{ migrationName: '2024-01-01-person', direction: 'Down', status: 'Success' }]);
      expect(await tableNames(db)).toEqual([]);
      const migrations = await migrator(db).getMigrations();
      expect(migrations.map((m) => [m.name, m.executedAt])).toEqual([
        ['2024-01-01-person', undefined],
        ['2024-01-02-pet', undefined],
      ]);
    });

    it('migrates up one step and to a named migration', async () => {
      const { db } = await kysely.open(kind);
      expect((await migrator(db).migrateUp()).results).toEqual([
        { migrationName: '2024-01-01-person', direction: 'Up', status: 'Success' },
      ]);
      expect(await tableNames(db)).toEqual(['person']);
      expect((await migrator(db).migrateTo('2024-01-02-pet')).results).toEqual([
        { migrationName: '2024-01-02-pet', direction: 'Up', status: 'Success' },
      ]);
      const executed = await migrator(db).getMigrations();
      expect(executed.every((m) => m.executedAt instanceof Date)).toBe(true);
    });

    it('keeps its records in tables of the given names; refuses a run if an applied migration is missing', async () => {
      const { db } = await kysely.open(kind);
      const named = (
        provider: MigrationProvider = new FileMigrationProvider({
          fs,
          path,
          migrationFolder: path.join(here, '..', 'migrations'),
        }),
      ) => new Migrator({ db, provider, migrationTableName: 'schema_history', migrationLockTableName: 'schema_lock' });
      expect((await named().migrateToLatest()).error).toBeUndefined();
      // Only Kysely's default names count as its internal tables.
      expect(await tableNames(db)).toEqual(['person', 'pet', 'schema_history', 'schema_lock']);
      const onlyFirst = { getMigrations: async () => ({ '2024-01-02-pet': { up: async () => {} } }) };
      const result = await named(onlyFirst).migrateToLatest();
      expect((result.error as Error).message).toMatch(/2024-01-01-person.*missing/);
    });

    it('applies nothing of a run in which a migration fails', async () => {
      const { db } = await kysely.open(kind);
      const result = await migrator(db, 'migrations-failing').migrateToLatest();
      expect(result.error).toMatchObject({ code: 'SQLITE_ERROR' });
      expect(result.results?.map((r) => [r.migrationName, r.status])).toEqual([
        ['2024-01-01-person', 'Success'],
        ['2024-01-02-broken', 'Error'],
      ]);
      // One transaction for the run: the first migration and the broken one's first table are gone.
      expect(await tableNames(db)).toEqual([]);
      const count = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(db);
      expect(count.rows[0]!.n).toBe(0);
    });

    // Kysely 0.28's Migrator cannot take a transaction at all (it calls db.connection() on it).
    if (version === '0.29')
      it('runs the migrations inside a transaction it is given (SQLite DDL is transactional)', async () => {
        const { db } = await kysely.open(kind);
        const trx = await db.startTransaction().execute();
        const result = await migrator(trx).migrateToLatest();
        expect(result.error).toBeUndefined();
        expect(result.results).toHaveLength(2);
        await trx.rollback().execute();
        expect(await tableNames(db)).toEqual([]);
        expect((await migrator(db).migrateToLatest()).results).toHaveLength(2);
        expect(await tableNames(db)).toEqual(['person', 'pet']);
      });

    it('rebuilds a referenced table without cascading: foreign keys are off during migrations', async () => {
      const { db } = await kysely.open(kind);
      const result = await migrator(db, 'migrations-rebuild').migrateToLatest();
      expect(result.error).toBeUndefined();
      expect(await db.selectFrom('pet').selectAll().execute()).toEqual([{ id: 1, owner_id: 1 }]);
      expect(await db.selectFrom('person').selectAll().execute()).toEqual([{ id: 1, name: 'Ada', age: 0 }]);
      // And on again afterwards.
      await expect(
        (db as Kysely<any>).insertInto('pet').values({ id: 2, owner_id: 99 }).execute(),
      ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    });

    it('refuses to commit a migration that leaves a foreign key violation', async () => {
      const { db } = await kysely.open(kind);
      const result = await migrator(db, 'migrations-dangling').migrateToLatest();
      expect(result.error).toBeInstanceOf(LibsqlError);
      expect(result.error).toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
      expect((result.error as Error).message).toMatch(/pet row 1 → person/);
      expect(await tableNames(db)).toEqual([]);
    });

    it('lets two concurrent migrators apply each migration once', async () => {
      const { db, fixture, another } = await kysely.open(kind);
      const other = another();
      // Kysely creates its own tables before it takes the lock (idempotently); do it once first,
      // as the first deployment does, and let the other replica see them.
      await new Migrator({ db, provider: { getMigrations: async () => ({}) } }).migrateToLatest();
      if (kind === 'replica') await fixture.client.sync();
      const [a, b] = await Promise.all([migrator(db).migrateToLatest(), migrator(other).migrateToLatest()]);
      expect(a.error).toBeUndefined();
      expect(b.error).toBeUndefined();
      const applied = [...a.results!, ...b.results!].map((r) => [r.migrationName, r.status]).sort();
      expect(applied).toEqual([
        ['2024-01-01-person', 'Success'],
        ['2024-01-02-pet', 'Success'],
      ]);
      expect(await db.selectFrom('person').selectAll().execute()).toEqual([{ id: 1, name: 'first' }]);
      const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(other);
      expect(recorded.rows.map((r) => r.name)).toEqual(['2024-01-01-person', '2024-01-02-pet']);
    });
  });
}
