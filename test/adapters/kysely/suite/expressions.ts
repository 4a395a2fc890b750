import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { ClientKind } from '../../support/clients.ts';
import { openSeeded, useKysely } from './setup.ts';

/** Expressions Kysely compiles for SQLite: filters, aggregates, window functions, sql helpers. */
export function expressionCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('expressions', () => {
    it('filters with between, not in, not like, is not, <> and nested and/or/not', async () => {
      const { db } = await openSeeded(kysely, kind);
      const ids = async (q: Promise<{ id: number }[]>) => (await q).map((r) => r.id);
      const base = () => db.selectFrom('person').select('id').orderBy('id');
      expect(
        await ids(
          base()
            .where((eb) => eb.between('id', 2, 3))
            .execute(),
        ),
      ).toEqual([2, 3]);
      expect(await ids(base().where('id', 'not in', [1, 3]).execute())).toEqual([2]);
      expect(await ids(base().where('last_name', 'not like', 'S%').execute())).toEqual([1]);
      expect(await ids(base().where('first_name', 'is not', null).where('id', '<>', 2).execute())).toEqual([1, 3]);
      expect(
        await ids(
          base()
            .where((eb) =>
              eb.not(eb.or([eb('id', '=', 1), eb.and([eb('gender', '=', 'male'), eb('last_name', 'like', '%one')])])),
            )
            .execute(),
        ),
      ).toEqual([2]);
      expect(
        await ids(
          base()
            .where('id', 'in', db.selectFrom('pet').select('owner_id').where('species', 'in', ['cat', 'dog']))
            .execute(),
        ),
      ).toEqual([1, 2]);
      expect(
        await ids(
          base()
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('toy')
                    .innerJoin('pet', 'pet.id', 'toy.pet_id')
                    .select('toy.id')
                    .whereRef('pet.owner_id', '=', 'person.id'),
                ),
              ),
            )
            .execute(),
        ),
      ).toEqual([2, 3]);
    });

    it('computes aggregates: count distinct, avg, min, max, group_concat, and filter (where …)', async () => {
      const { db } = await openSeeded(kysely, kind);
      const row = await db
        .selectFrom('person')
        .select((eb) => [
          eb.fn.count<number>('gender').distinct().as('genders'),
          eb.fn.avg<number>('id').as('avg_id'),
          eb.fn.min('first_name').as('first'),
          eb.fn.max('last_name').as('last'),
          eb.fn.agg<string>('group_concat', ['first_name']).as('names'),
          eb.fn.countAll<number>().filterWhere('gender', '=', 'male').as('males'),
        ])
        .executeTakeFirstOrThrow();
      expect(row).toEqual({
        genders: 2,
        avg_id: 2,
        first: 'Arnold',
        last: 'Stallone',
        names: expect.stringMatching(/Jennifer/),
        males: 2,
      });
    });

    it('runs window functions with partitions and ordering', async () => {
      const { db } = await openSeeded(kysely, kind);
      const rows = await db
        .selectFrom('person')
        .select((eb) => [
          'id',
          eb.fn
            .countAll<number>()
            .over((ob) => ob.partitionBy('gender'))
            .as('same_gender'),
          eb.fn
            .agg<number>('row_number')
            .over((ob) => ob.orderBy('first_name'))
            .as('alphabetical'),
          eb.fn
            .sum<number>('id')
            .over((ob) => ob.orderBy('id'))
            .as('running'),
        ])
        .orderBy('id')
        .execute();
      expect(rows).toEqual([
        { id: 1, same_gender: 1, alphabetical: 2, running: 1 },
        { id: 2, same_gender: 2, alphabetical: 1, running: 3 },
        { id: 3, same_gender: 2, alphabetical: 3, running: 6 },
      ]);
    });

    it('selects all columns of one table of a join, and cross joins', async () => {
      const { db } = await openSeeded(kysely, kind);
      const pets = await db
        .selectFrom('person')
        .innerJoin('pet', 'pet.owner_id', 'person.id')
        .selectAll('pet')
        .where('person.id', '=', 2)
        .execute();
      expect(pets).toEqual([{ id: 2, name: 'Doggo', owner_id: 2, species: 'dog' }]);
      const pairs = await db
        .selectFrom(['person', 'toy'])
        .select(['person.id', 'toy.name'])
        .orderBy('person.id')
        .execute();
      expect(pairs).toEqual([
        { id: 1, name: 'Ball' },
        { id: 2, name: 'Ball' },
        { id: 3, name: 'Ball' },
      ]);
      const crossed = await db
        .selectFrom('pet')
        .crossJoin('toy')
        .select(['pet.name as pet', 'toy.name as toy'])
        .orderBy('pet.name')
        .execute();
      expect(crossed.map((r) => r.pet)).toEqual(['Catto', 'Doggo', 'Hammo']);
    });

    it('casts, uses nullif, string functions and sql helpers (lit, raw, join, val, ref, table)', async () => {
      const { db } = await openSeeded(kysely, kind);
      const row = await db
        .selectFrom('person')
        .select((eb) => [
          eb.cast<string>('id', 'text').as('id_text'),
          eb.fn<number | null>('nullif', ['children', sql.lit(0)]).as('kids'),
          eb.fn<string>('upper', ['first_name']).as('upper'),
          eb.fn<string>('substr', ['last_name', sql.lit(1), sql.lit(3)]).as('abbr'),
          sql<string>`${sql.ref('first_name')} || ${sql.val(' ')} || ${sql.ref('last_name')}`.as('full'),
          sql<number>`${sql.raw('1 + 1')}`.as('two'),
        ])
        .where(sql<boolean>`id in (${sql.join([1, 99])})`)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({
        id_text: '1',
        kids: null,
        upper: 'JENNIFER',
        abbr: 'Ani',
        full: 'Jennifer Aniston',
        two: 2,
      });
      const counted = await sql<{ n: number }>`select count(*) as n from ${sql.table('pet')}`.execute(db);
      expect(counted.rows).toEqual([{ n: 3 }]);
    });

    it('binds Dates as epoch milliseconds and booleans as 0/1', async () => {
      const { db } = await kysely.open(kind);
      await sql`create table event (at integer, flag integer)`.execute(db);
      const at = new Date('2024-05-06T07:08:09.010Z');
      await sql`insert into event values (${at}, ${true})`.execute(db);
      const { rows } = await sql<{
        at: number;
        flag: number;
        iso: string;
      }>`select at, flag, strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') as iso from event`.execute(db);
      expect(rows).toEqual([{ at: at.getTime(), flag: 1, iso: '2024-05-06T07:08:09.010Z' }]);
    });
  });
}
