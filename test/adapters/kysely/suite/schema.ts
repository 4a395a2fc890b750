import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { ClientKind } from '../../support/clients.ts';
import { openSeeded, useKysely } from './setup.ts';

/** The schema builder and `db.introspection` (Kysely's SqliteIntrospector over the client). */
export function schemaCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('schema and introspection', () => {
    it('lists tables with their columns, types, nullability, defaults and autoincrement', async () => {
      const { db } = await openSeeded(kysely, kind);
      const tables = await db.introspection.getTables();
      expect(tables.map((t) => t.name).sort()).toEqual(['person', 'pet', 'toy']);
      const person = tables.find((t) => t.name === 'person')!;
      expect(person.isView).toBe(false);
      expect(person.columns.map((c) => c.name)).toEqual([
        'id',
        'first_name',
        'middle_name',
        'last_name',
        'gender',
        'marital_status',
        'children',
      ]);
      expect(person.columns[0]).toMatchObject({
        name: 'id',
        dataType: 'INTEGER',
        isAutoIncrementing: true,
        isNullable: true,
      });
      expect(person.columns.find((c) => c.name === 'gender')).toMatchObject({
        dataType: 'varchar(50)',
        isNullable: false,
        hasDefaultValue: false,
      });
      expect(person.columns.find((c) => c.name === 'children')).toMatchObject({
        isNullable: false,
        hasDefaultValue: true,
      });
    });

    it('lists views, and kysely tables only when asked', async () => {
      const { db } = await openSeeded(kysely, kind);
      await db.schema
        .createView('dog')
        .as(db.selectFrom('pet').select(['id', 'name']).where('species', '=', 'dog'))
        .execute();
      await db.schema.createTable('kysely_migration').addColumn('name', 'text').execute();
      const tables = await db.introspection.getTables();
      expect(tables.find((t) => t.name === 'dog')).toMatchObject({ isView: true });
      expect(tables.map((t) => t.name)).not.toContain('kysely_migration');
      const all = await db.introspection.getTables({ withInternalKyselyTables: true });
      expect(all.map((t) => t.name)).toContain('kysely_migration');
      expect(
        await db
          .selectFrom('dog' as 'pet')
          .select('name')
          .execute(),
      ).toEqual([{ name: 'Doggo' }]);
    });

    it('alters tables: add, rename and drop columns, rename the table', async () => {
      const { db } = await openSeeded(kysely, kind);
      await db.schema
        .alterTable('toy')
        .addColumn('color', 'text', (col) => col.defaultTo('red'))
        .execute();
      await db.schema.alterTable('toy').renameColumn('color', 'colour').execute();
      expect(
        await db
          .selectFrom('toy' as never)
          .select('colour' as never)
          .execute(),
      ).toEqual([{ colour: 'red' }]);
      await db.schema.alterTable('toy').dropColumn('colour').execute();
      await db.schema.alterTable('toy').renameTo('plaything').execute();
      const tables = await db.introspection.getTables();
      const plaything = tables.find((t) => t.name === 'plaything')!;
      expect(plaything.columns.map((c) => c.name)).toEqual(['id', 'name', 'price', 'pet_id']);
    });

    it('reports no schemas (SQLite has none to list)', async () => {
      const { db } = await openSeeded(kysely, kind);
      expect(await db.introspection.getSchemas()).toEqual([]);
    });

    it('creates and drops indexes, unique ones enforced', async () => {
      const { db } = await openSeeded(kysely, kind);
      await db.schema.createIndex('person_last_name_unique').on('person').column('last_name').unique().execute();
      const indexes = await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'index' and name like 'person_%'`.execute(db);
      expect(indexes.rows).toEqual([{ name: 'person_last_name_unique' }]);
      await expect(
        db
          .insertInto('person')
          .values({ first_name: 'X', last_name: 'Aniston', middle_name: null, gender: 'other', marital_status: null })
          .execute(),
      ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_UNIQUE' });
      await db.schema.dropIndex('person_last_name_unique').execute();
      await db
        .insertInto('person')
        .values({ first_name: 'X', last_name: 'Aniston', middle_name: null, gender: 'other', marital_status: null })
        .execute();
    });

    it('creates tables if not exists, with composite keys and checks, and drops them', async () => {
      const { db } = await kysely.open(kind);
      const create = () =>
        db.schema
          .createTable('pair')
          .ifNotExists()
          .addColumn('a', 'integer', (col) => col.notNull())
          .addColumn('b', 'integer', (col) => col.notNull().check(sql`b > 0`))
          .addPrimaryKeyConstraint('pair_pk', ['a', 'b'])
          .execute();
      await create();
      await create();
      await expect(sql`insert into pair values (1, 0)`.execute(db)).rejects.toMatchObject({
        code: 'SQLITE_CONSTRAINT',
        extendedCode: 'SQLITE_CONSTRAINT_CHECK',
      });
      await sql`insert into pair values (1, 1)`.execute(db);
      await expect(sql`insert into pair values (1, 1)`.execute(db)).rejects.toMatchObject({
        code: 'SQLITE_CONSTRAINT',
        extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
      });
      await db.schema.dropTable('pair').ifExists().execute();
      await db.schema.dropTable('pair').ifExists().execute();
      expect(await db.introspection.getTables()).toEqual([]);
    });
  });
}
