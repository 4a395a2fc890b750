import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { ClientKind } from '../../support/clients.ts';
import { count, openSeeded, useKysely } from './setup.ts';

/** Queries that write: insert, update, delete, RETURNING, upserts. */
export function mutationCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('insert / update / delete', () => {
    it('inserts one row and reports its id and one affected row as bigints', async () => {
      const { db } = await openSeeded(kysely, kind);
      const result = await db
        .insertInto('person')
        .values({
          first_name: 'Foo',
          last_name: 'Barson',
          gender: 'other',
          middle_name: null,
          marital_status: 'single',
        })
        .executeTakeFirstOrThrow();
      expect(result.insertId).toBe(4n);
      expect(result.numInsertedOrUpdatedRows).toBe(1n);
      expect(
        await db.selectFrom('person').select(['first_name', 'marital_status']).where('id', '=', 4).executeTakeFirst(),
      ).toEqual({ first_name: 'Foo', marital_status: 'single' });
    });

    it('inserts many rows in one statement', async () => {
      const { db } = await openSeeded(kysely, kind);
      const result = await db
        .insertInto('person')
        .values([
          { first_name: 'A', last_name: null, gender: 'other', middle_name: null, marital_status: null, children: 0 },
          { first_name: 'B', last_name: null, gender: 'other', middle_name: null, marital_status: null, children: 2 },
        ])
        .executeTakeFirstOrThrow();
      expect(result.numInsertedOrUpdatedRows).toBe(2n);
      expect(result.insertId).toBe(5n);
      expect(
        await db.selectFrom('person').select(['first_name', 'children']).where('id', '>', 3).orderBy('id').execute(),
      ).toEqual([
        { first_name: 'A', children: 0 },
        { first_name: 'B', children: 2 },
      ]);
    });

    it('inserts from a select and with default values', async () => {
      const { db } = await openSeeded(kysely, kind);
      const result = await db
        .insertInto('person')
        .columns(['first_name', 'gender'])
        .expression((eb) => eb.selectFrom('pet').select(['name', sql<'other'>`'other'`.as('gender')]))
        .executeTakeFirstOrThrow();
      expect(result.numInsertedOrUpdatedRows).toBe(3n);
      await sql`create table d (id integer primary key, x text default 'dflt')`.execute(db);
      await db
        .insertInto('d' as never)
        .defaultValues()
        .execute();
      expect((await sql<{ x: string }>`select x from d`.execute(db)).rows).toEqual([{ x: 'dflt' }]);
    });

    it('returns inserted, updated and deleted rows with RETURNING', async () => {
      const { db } = await openSeeded(kysely, kind);
      const inserted = await db
        .insertInto('pet')
        .values({ name: 'Nemo', owner_id: 1, species: 'cat' })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow();
      expect(inserted).toEqual({ id: 4, name: 'Nemo' });
      const updated = await db
        .updateTable('pet')
        .set({ species: 'dog' })
        .where('owner_id', '=', 1)
        .returning(['name', 'species'])
        .execute();
      expect(updated.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: 'Catto', species: 'dog' },
        { name: 'Nemo', species: 'dog' },
      ]);
      const deleted = await db.deleteFrom('toy').returningAll().execute();
      expect(deleted).toEqual([{ id: 1, name: 'Ball', price: 9.5, pet_id: 1 }]);
      expect(await db.deleteFrom('toy').returning('id').execute()).toEqual([]);
    });

    it('updates rows and reports how many, with a subquery in the set and where', async () => {
      const { db } = await openSeeded(kysely, kind);
      const result = await db
        .updateTable('person')
        .set((eb) => ({
          children: eb('children', '+', 1),
          middle_name: eb.selectFrom('pet').select('name').whereRef('pet.owner_id', '=', 'person.id'),
        }))
        .where('gender', '=', 'male')
        .executeTakeFirstOrThrow();
      expect(result.numUpdatedRows).toBe(2n);
      expect(await db.selectFrom('person').select(['middle_name', 'children']).orderBy('id').execute()).toEqual([
        { middle_name: null, children: 0 },
        { middle_name: 'Doggo', children: 1 },
        { middle_name: 'Hammo', children: 1 },
      ]);
      const none = await db.updateTable('person').set({ children: 5 }).where('id', '=', 99).executeTakeFirstOrThrow();
      expect(none.numUpdatedRows).toBe(0n);
    });

    it('updates from another table (UPDATE … FROM)', async () => {
      const { db } = await openSeeded(kysely, kind);
      await db
        .updateTable('person')
        .from('pet')
        .set((eb) => ({ first_name: eb.ref('pet.name') }))
        .whereRef('pet.owner_id', '=', 'person.id')
        .where('pet.species', '=', 'cat')
        .execute();
      expect(await db.selectFrom('person').select('first_name').where('id', '=', 1).executeTakeFirst()).toEqual({
        first_name: 'Catto',
      });
    });

    it('deletes rows and reports how many, also with a subquery in the where', async () => {
      const { db } = await openSeeded(kysely, kind);
      const toys = await db.deleteFrom('toy').executeTakeFirstOrThrow();
      expect(toys.numDeletedRows).toBe(1n);
      const result = await db
        .deleteFrom('pet')
        .where('owner_id', 'in', (eb) => eb.selectFrom('person').select('id').where('gender', '=', 'male'))
        .executeTakeFirstOrThrow();
      expect(result.numDeletedRows).toBe(2n);
      expect(await count(db, 'pet')).toBe(1);
    });

    it('upserts: on conflict do nothing, do update with excluded values, and a where on the update', async () => {
      const { db } = await openSeeded(kysely, kind);
      const ignored = await db
        .insertInto('pet')
        .values({ name: 'Catto', owner_id: 2, species: 'dog' })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirstOrThrow();
      expect(ignored.numInsertedOrUpdatedRows).toBe(0n);
      const updated = await db
        .insertInto('pet')
        .values({ name: 'Catto', owner_id: 2, species: 'dog' })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet((eb) => ({ owner_id: eb.ref('excluded.owner_id'), species: eb.ref('excluded.species') })),
        )
        .returning(['id', 'owner_id', 'species'])
        .executeTakeFirstOrThrow();
      expect(updated).toEqual({ id: 1, owner_id: 2, species: 'dog' });
      const skipped = await db
        .insertInto('pet')
        .values({ name: 'Doggo', owner_id: 1, species: 'cat' })
        .onConflict((oc) => oc.column('name').doUpdateSet({ species: 'cat' }).where('pet.species', '=', 'hamster'))
        .executeTakeFirstOrThrow();
      expect(skipped.numInsertedOrUpdatedRows).toBe(0n);
      expect(await db.selectFrom('pet').select('species').where('name', '=', 'Doggo').executeTakeFirst()).toEqual({
        species: 'dog',
      });
    });

    it('inserts with "or ignore" and "or replace"', async () => {
      const { db } = await openSeeded(kysely, kind);
      await db.insertInto('pet').orIgnore().values({ name: 'Doggo', owner_id: 1, species: 'cat' }).execute();
      expect(await db.selectFrom('pet').select('owner_id').where('name', '=', 'Doggo').executeTakeFirst()).toEqual({
        owner_id: 2,
      });
      await db.replaceInto('pet').values({ id: 2, name: 'Doggo', owner_id: 1, species: 'cat' }).execute();
      expect(
        await db.selectFrom('pet').select(['owner_id', 'species']).where('name', '=', 'Doggo').executeTakeFirst(),
      ).toEqual({ owner_id: 1, species: 'cat' });
    });

    it('reports affected rows and the insert id of raw statements', async () => {
      const { db } = await openSeeded(kysely, kind);
      const inserted = await sql`insert into person (first_name, gender) values (${'New'}, ${'other'})`.execute(db);
      expect(inserted.insertId).toBe(4n);
      expect(inserted.numAffectedRows).toBe(1n);
      expect(inserted.rows).toEqual([]);
      const deleted =
        await sql`delete from pet where owner_id in (select id from person where gender = ${'male'})`.execute(db);
      expect(deleted.numAffectedRows).toBe(2n);
      expect(deleted.rows).toEqual([]);
    });

    it('upserts on a composite conflict target, and returns computed expressions', async () => {
      const { db } = await kysely.open(kind);
      await db.schema
        .createTable('score')
        .addColumn('player', 'text')
        .addColumn('game', 'text')
        .addColumn('points', 'integer', (c) => c.notNull())
        .addUniqueConstraint('score_player_game', ['player', 'game'])
        .execute();
      const scores = db as unknown as Kysely<{ score: { player: string; game: string; points: number } }>;
      const add = (points: number) =>
        scores
          .insertInto('score')
          .values({ player: 'ada', game: 'chess', points })
          .onConflict((oc) =>
            oc
              .columns(['player', 'game'])
              .doUpdateSet((eb) => ({ points: eb('score.points', '+', eb.ref('excluded.points')) })),
          )
          .returning((eb) => [
            'points',
            eb('points', '*', 2).as('double'),
            sql<string>`player || '/' || game`.as('key'),
          ])
          .executeTakeFirstOrThrow();
      expect(await add(3)).toEqual({ points: 3, double: 6, key: 'ada/chess' });
      expect(await add(4)).toEqual({ points: 7, double: 14, key: 'ada/chess' });
    });

    it('quotes identifiers that need it', async () => {
      const { db } = await kysely.open(kind);
      const weird = db as unknown as Kysely<Record<string, Record<string, string>>>;
      await weird.schema.createTable('odd "table"').addColumn('select', 'text').addColumn('a"b', 'text').execute();
      await weird.insertInto('odd "table"').values({ select: 'x', 'a"b': 'y' }).execute();
      expect(await weird.selectFrom('odd "table"').selectAll().execute()).toEqual([{ select: 'x', 'a"b': 'y' }]);
    });

    it('reports 0n affected rows and no insert id for a statement that changes no row', async () => {
      const { db } = await openSeeded(kysely, kind);
      const result = await db.executeQuery(sql`delete from person where id = ${99}`.compile(db));
      expect(result.numAffectedRows).toBe(0n);
      expect(result.insertId).toBeUndefined();
      expect(result.rows).toEqual([]);
    });
  });
}
