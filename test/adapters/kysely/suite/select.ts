import { ParseJSONResultsPlugin, sql } from 'kysely';
import { jsonArrayFrom, jsonBuildObject, jsonObjectFrom } from 'kysely/helpers/sqlite';
import { describe, expect, it } from 'vitest';
import type { ClientKind } from '../../support/clients.ts';
import { openSeeded, useKysely } from './setup.ts';

/** Queries that read: selections, filters, joins, aggregates, subqueries, CTEs, JSON helpers. */
export function selectCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('select', () => {
    it('selects all columns of all rows, typed as the schema says', async () => {
      const { db } = await openSeeded(kysely, kind);
      const people = await db.selectFrom('person').selectAll().orderBy('id').execute();
      expect(people).toEqual([
        {
          id: 1,
          first_name: 'Jennifer',
          middle_name: null,
          last_name: 'Aniston',
          gender: 'female',
          marital_status: null,
          children: 0,
        },
        {
          id: 2,
          first_name: 'Arnold',
          middle_name: null,
          last_name: 'Schwarzenegger',
          gender: 'male',
          marital_status: null,
          children: 0,
        },
        {
          id: 3,
          first_name: 'Sylvester',
          middle_name: null,
          last_name: 'Stallone',
          gender: 'male',
          marital_status: null,
          children: 0,
        },
      ]);
    });

    it('selects columns with aliases and filters with where / and / or / in / like / is null', async () => {
      const { db } = await openSeeded(kysely, kind);
      const rows = await db
        .selectFrom('person')
        .select(['first_name as name', 'id'])
        .where((eb) =>
          eb.or([eb('first_name', 'like', 'J%'), eb.and([eb('gender', '=', 'male'), eb('id', 'in', [3, 4])])]),
        )
        .where('middle_name', 'is', null)
        .orderBy('id', 'desc')
        .execute();
      expect(rows).toEqual([
        { name: 'Sylvester', id: 3 },
        { name: 'Jennifer', id: 1 },
      ]);
    });

    it('limits, offsets and takes the first row', async () => {
      const { db } = await openSeeded(kysely, kind);
      const page = await db.selectFrom('person').select('id').orderBy('id').limit(2).offset(1).execute();
      expect(page).toEqual([{ id: 2 }, { id: 3 }]);
      expect(await db.selectFrom('person').select('last_name').where('id', '=', 2).executeTakeFirst()).toEqual({
        last_name: 'Schwarzenegger',
      });
      expect(await db.selectFrom('person').select('id').where('id', '=', 99).executeTakeFirst()).toBeUndefined();
      await expect(
        db.selectFrom('person').select('id').where('id', '=', 99).executeTakeFirstOrThrow(),
      ).rejects.toThrow();
    });

    it('selects distinct values', async () => {
      const { db } = await openSeeded(kysely, kind);
      const genders = await db.selectFrom('person').select('gender').distinct().orderBy('gender').execute();
      expect(genders).toEqual([{ gender: 'female' }, { gender: 'male' }]);
    });

    it('joins: inner, left, and a join with a callback', async () => {
      const { db } = await openSeeded(kysely, kind);
      const inner = await db
        .selectFrom('person')
        .innerJoin('pet', 'pet.owner_id', 'person.id')
        .select(['person.first_name', 'pet.name as pet_name'])
        .orderBy('person.id')
        .execute();
      expect(inner).toEqual([
        { first_name: 'Jennifer', pet_name: 'Catto' },
        { first_name: 'Arnold', pet_name: 'Doggo' },
        { first_name: 'Sylvester', pet_name: 'Hammo' },
      ]);
      const left = await db
        .selectFrom('pet')
        .leftJoin('toy', 'toy.pet_id', 'pet.id')
        .select(['pet.name', 'toy.name as toy_name', 'toy.price'])
        .orderBy('pet.id')
        .execute();
      expect(left).toEqual([
        { name: 'Catto', toy_name: 'Ball', price: 9.5 },
        { name: 'Doggo', toy_name: null, price: null },
        { name: 'Hammo', toy_name: null, price: null },
      ]);
      const filtered = await db
        .selectFrom('person')
        .innerJoin('pet', (join) => join.onRef('pet.owner_id', '=', 'person.id').on('pet.species', '=', 'dog'))
        .select('person.first_name')
        .execute();
      expect(filtered).toEqual([{ first_name: 'Arnold' }]);
    });

    it('aggregates with group by and having', async () => {
      const { db } = await openSeeded(kysely, kind);
      const rows = await db
        .selectFrom('person')
        .select((eb) => ['gender', eb.fn.countAll<number>().as('n'), eb.fn.max('id').as('max_id')])
        .groupBy('gender')
        .having((eb) => eb.fn.countAll(), '>', 1)
        .execute();
      expect(rows).toEqual([{ gender: 'male', n: 2, max_id: 3 }]);
      const { total } = await db
        .selectFrom('toy')
        .select((eb) => eb.fn.sum<number>('price').as('total'))
        .executeTakeFirstOrThrow();
      expect(total).toBe(9.5);
    });

    it('selects from subqueries, with exists, and in a select list', async () => {
      const { db } = await openSeeded(kysely, kind);
      const owners = await db
        .selectFrom('person')
        .select([
          'first_name',
          (eb) => eb.selectFrom('pet').select('name').whereRef('pet.owner_id', '=', 'person.id').as('pet'),
        ])
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('pet')
              .select('id')
              .whereRef('pet.owner_id', '=', 'person.id')
              .where('species', '!=', 'hamster'),
          ),
        )
        .orderBy('first_name')
        .execute();
      expect(owners).toEqual([
        { first_name: 'Arnold', pet: 'Doggo' },
        { first_name: 'Jennifer', pet: 'Catto' },
      ]);
      const fromSub = await db
        .selectFrom((eb) => eb.selectFrom('pet').select(['owner_id', 'species']).as('p'))
        .select('p.species')
        .where('p.owner_id', '=', 1)
        .execute();
      expect(fromSub).toEqual([{ species: 'cat' }]);
    });

    it('combines queries with union, intersect and except', async () => {
      const { db } = await openSeeded(kysely, kind);
      const names = await db
        .selectFrom('person')
        .select('first_name as name')
        .union(db.selectFrom('pet').select('name'))
        .orderBy('name')
        .execute();
      expect(names.map((r) => r.name)).toEqual(['Arnold', 'Catto', 'Doggo', 'Hammo', 'Jennifer', 'Sylvester']);
      const males = await db
        .selectFrom('person')
        .select('id')
        .intersect(db.selectFrom('person').select('id').where('gender', '=', 'male'))
        .execute();
      expect(males.map((r) => r.id).sort()).toEqual([2, 3]);
      const notMales = await db
        .selectFrom('person')
        .select('id')
        .except(db.selectFrom('person').select('id').where('gender', '=', 'male'))
        .execute();
      expect(notMales).toEqual([{ id: 1 }]);
    });

    it('runs common table expressions, recursive ones too', async () => {
      const { db } = await openSeeded(kysely, kind);
      const rows = await db
        .with('dog_owner', (qb) =>
          qb
            .selectFrom('person')
            .innerJoin('pet', 'pet.owner_id', 'person.id')
            .where('species', '=', 'dog')
            .select('person.id'),
        )
        .selectFrom('person')
        .innerJoin('dog_owner', 'dog_owner.id', 'person.id')
        .select('person.first_name')
        .execute();
      expect(rows).toEqual([{ first_name: 'Arnold' }]);
      const numbers = await db
        .withRecursive('n(i)', (qb) =>
          qb.selectNoFrom(sql<number>`1`.as('i')).unionAll((qb) =>
            qb
              .selectFrom('n')
              .select(sql<number>`i + 1`.as('i'))
              .where('i', '<', 5),
          ),
        )
        .selectFrom('n')
        .select('i')
        .execute();
      expect(numbers.map((r) => r.i)).toEqual([1, 2, 3, 4, 5]);
    });

    it('nests related rows with jsonArrayFrom, jsonObjectFrom and jsonBuildObject', async () => {
      const opened = await openSeeded(kysely, kind);
      // SQLite returns JSON as text: Kysely's plugin parses it, as with its own SqliteDialect.
      const db = opened.db.withPlugin(new ParseJSONResultsPlugin());
      const people = await db
        .selectFrom('person')
        .select((eb) => [
          'id',
          jsonArrayFrom(
            eb
              .selectFrom('pet')
              .select(['pet.id as pet_id', 'pet.name'])
              .whereRef('pet.owner_id', '=', 'person.id')
              .orderBy('pet.name'),
          ).as('pets'),
          jsonObjectFrom(eb.selectFrom('pet').select(['pet.species']).whereRef('pet.owner_id', '=', 'person.id')).as(
            'pet',
          ),
          jsonBuildObject({ first: eb.ref('first_name'), last: eb.ref('last_name') }).as('name'),
        ])
        .orderBy('id')
        .execute();
      expect(people[0]).toEqual({
        id: 1,
        pets: [{ pet_id: 1, name: 'Catto' }],
        pet: { species: 'cat' },
        name: { first: 'Jennifer', last: 'Aniston' },
      });
      const noPets = await db
        .selectFrom('person')
        .select((eb) => [
          jsonArrayFrom(eb.selectFrom('pet').select('name').where('pet.id', '=', 99)).as('pets'),
          jsonObjectFrom(eb.selectFrom('pet').select('name').where('pet.id', '=', 99)).as('pet'),
        ])
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      expect(noPets).toEqual({ pets: [], pet: null });
    });

    it('evaluates case expressions, coalesce and arithmetic', async () => {
      const { db } = await openSeeded(kysely, kind);
      const rows = await db
        .selectFrom('person')
        .select((eb) => [
          eb.case().when('gender', '=', 'female').then('F').else('M').end().as('g'),
          eb.fn.coalesce('middle_name', sql<string>`'-'`).as('middle'),
          eb('id', '*', 10).as('times_ten'),
        ])
        .orderBy('id')
        .execute();
      expect(rows).toEqual([
        { g: 'F', middle: '-', times_ten: 10 },
        { g: 'M', middle: '-', times_ten: 20 },
        { g: 'M', middle: '-', times_ten: 30 },
      ]);
    });

    it('runs raw sql with bound values, and a raw compiled query', async () => {
      const { db } = await openSeeded(kysely, kind);
      const { rows } = await sql<{ first_name: string }>`select first_name from person where id = ${2}`.execute(db);
      expect(rows).toEqual([{ first_name: 'Arnold' }]);
      const raw = await db.executeQuery<{ x: number; y: string }>(
        sql<{ x: number; y: string }>`select ${1} as x, ${'two'} as y`.compile(db),
      );
      expect(raw.rows).toEqual([{ x: 1, y: 'two' }]);
      expect(raw.numAffectedRows).toBeUndefined();
      expect(raw.insertId).toBeUndefined();
    });

    it('reads one row per duplicated column name, the first column winning', async () => {
      const { db } = await openSeeded(kysely, kind);
      const row = await db
        .selectFrom('person')
        .innerJoin('pet', 'pet.owner_id', 'person.id')
        .selectAll()
        .where('person.id', '=', 3)
        .executeTakeFirstOrThrow();
      // person.id and pet.id are both "id"; person.id (3) comes first.
      expect(row.id).toBe(3);
      expect(row).toMatchObject({ first_name: 'Sylvester', name: 'Hammo', owner_id: 3 });
    });

    it('binds and reads every SQLite type: integers, reals, text, blobs, null, booleans and bigints', async () => {
      const { db } = await kysely.open(kind);
      await sql`create table v (i integer, r real, t text, b blob, n integer)`.execute(db);
      const blob = Buffer.from([0, 1, 2, 255]);
      await sql`insert into v values (${42}, ${1.5}, ${'héllo ✓'}, ${blob}, ${null})`.execute(db);
      await sql`insert into v values (${true}, ${9007199254740991n}, ${''}, ${new Uint8Array([7])}, ${false})`.execute(
        db,
      );
      const rows = await sql<{
        i: number;
        r: number;
        t: string;
        b: Buffer;
        n: number | null;
      }>`select * from v order by rowid`.execute(db);
      expect(rows.rows[0]).toEqual({ i: 42, r: 1.5, t: 'héllo ✓', b: blob, n: null });
      expect(Buffer.isBuffer(rows.rows[0]!.b)).toBe(true);
      expect(rows.rows[1]).toEqual({ i: 1, r: 9007199254740991, t: '', b: Buffer.from([7]), n: 0 });
    });
  });
}
