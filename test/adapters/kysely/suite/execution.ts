import {
  CamelCasePlugin,
  CompiledQuery,
  DeduplicateJoinsPlugin,
  HandleEmptyInListsPlugin,
  Kysely,
  ParseJSONResultsPlugin,
  replaceWithNoncontingentExpression,
  sql,
  type LogEvent,
} from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { WasmliteDialect, WasmliteDriver } from '../../../../adapters/kysely/index.ts';
import type { ClientKind } from '../../support/clients.ts';
import { count, createSchema, insertDefaultData, openSeeded, useKysely, type Database } from './setup.ts';

/** How Kysely runs queries over the dialect: connections, logging, plugins, escaping transactions. */
export function executionCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('execution', () => {
    it('runs a CompiledQuery.raw with parameters through executeQuery', async () => {
      const { db } = await openSeeded(kysely, kind);
      const result = await db.executeQuery<{ first_name: string }>(
        CompiledQuery.raw('select first_name from person where id = ? or id = ? order by id', [1, 3]),
      );
      expect(result.rows).toEqual([{ first_name: 'Jennifer' }, { first_name: 'Sylvester' }]);
    });

    it('holds one connection for several queries and transactions with db.connection()', async () => {
      const { db } = await openSeeded(kysely, kind);
      await db.connection().execute(async (conn) => {
        const trx = await conn.startTransaction().execute();
        await trx.insertInto('pet').values({ name: 'Committed', owner_id: 1, species: 'cat' }).execute();
        await trx.commit().execute();
        await conn.insertInto('pet').values({ name: 'Outside', owner_id: 1, species: 'cat' }).execute();
        const second = await conn.startTransaction().execute();
        await second.insertInto('pet').values({ name: 'RolledBack', owner_id: 1, species: 'cat' }).execute();
        await second.rollback().execute();
        await conn
          .transaction()
          .execute((t) => t.insertInto('pet').values({ name: 'Callback', owner_id: 1, species: 'cat' }).execute());
      });
      const names = (await db.selectFrom('pet').select('name').where('id', '>', 3).orderBy('id').execute()).map(
        (r) => r.name,
      );
      expect(names).toEqual(['Committed', 'Outside', 'Callback']);
    });

    it('runs a hundred concurrent transactions, each wholly applied or wholly rolled back', async () => {
      const { db } = await openSeeded(kysely, kind);
      const fails = Array.from({ length: 100 }, (_, i) => i % 3 === 0);
      const results = await Promise.allSettled(
        fails.map((fail, i) =>
          db.transaction().execute(async (trx) => {
            const id = 1000 + i;
            await trx
              .insertInto('person')
              .values({
                id,
                first_name: `Person ${id}`,
                last_name: null,
                middle_name: null,
                gender: 'other',
                marital_status: null,
              } as never)
              .execute();
            await trx
              .insertInto('pet')
              .values({ name: `Pet of ${id}`, owner_id: id, species: 'cat' })
              .execute();
            if (fail) throw new Error(`thread ${i}`);
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(fails.map((f) => (f ? 'rejected' : 'fulfilled')));
      const people = await db.selectFrom('person').select('id').where('id', '>=', 1000).orderBy('id').execute();
      const pets = await db
        .selectFrom('pet')
        .select('owner_id')
        .where('owner_id', '>=', 1000)
        .orderBy('owner_id')
        .execute();
      const kept = fails.flatMap((f, i) => (f ? [] : [1000 + i]));
      expect(people.map((r) => r.id)).toEqual(kept);
      expect(pets.map((r) => r.owner_id)).toEqual(kept);
    });

    it('refuses queries on a transaction that was committed or rolled back', async () => {
      const { db } = await openSeeded(kysely, kind);
      let escaped: Kysely<Database> | undefined;
      await db.transaction().execute(async (trx) => {
        escaped = trx;
      });
      await expect(escaped!.selectFrom('person').selectAll().execute()).rejects.toThrow(/committed/);
      await db
        .transaction()
        .execute(async (trx) => {
          escaped = trx;
          throw new Error('roll back');
        })
        .catch(() => {});
      await expect(escaped!.selectFrom('person').selectAll().execute()).rejects.toThrow(/rolled back/);
      expect(await count(db, 'person')).toBe(3);
    });

    it('does not roll back a transaction that failed to begin', async () => {
      const { db } = await openSeeded(kysely, kind);
      const begin = vi
        .spyOn(WasmliteDriver.prototype, 'beginTransaction')
        .mockRejectedValueOnce(new Error('cannot begin'));
      const rollback = vi.spyOn(WasmliteDriver.prototype, 'rollbackTransaction');
      const callback = vi.fn();
      try {
        await expect(db.transaction().execute(async () => callback())).rejects.toThrow('cannot begin');
        expect(callback).not.toHaveBeenCalled();
        expect(rollback).not.toHaveBeenCalled();
      } finally {
        begin.mockRestore();
        rollback.mockRestore();
      }
      expect(await db.transaction().execute((trx) => trx.selectFrom('person').select('id').execute())).toHaveLength(3);
    });

    it('logs each query, and each error with its query', async () => {
      const { fixture } = await kysely.open(kind);
      const events: LogEvent[] = [];
      const db = new Kysely<Database>({
        dialect: new WasmliteDialect({ client: fixture.client }),
        log: (event) => void events.push(event),
      });
      try {
        await createSchema(db);
        await insertDefaultData(db);
        events.length = 0;
        await db.selectFrom('person').select('id').where('id', '=', 1).execute();
        await sql`select nope`.execute(db).catch(() => {});
        expect(events.map((e) => [e.level, e.query.sql, e.query.parameters])).toEqual([
          ['query', 'select "id" from "person" where "id" = ?', [1]],
          ['error', 'select nope', []],
        ]);
        expect(events.every((e) => typeof e.queryDurationMillis === 'number')).toBe(true);
        expect(events[1]!.level === 'error' && (events[1] as { error: unknown }).error).toMatchObject({
          code: 'SQLITE_ERROR',
        });
      } finally {
        await db.destroy();
      }
    });

    it('explains a query, and its plan through raw sql', async () => {
      const { db } = await openSeeded(kysely, kind);
      const program = await db.selectFrom('pet').selectAll().where('owner_id', '=', 1).explain<{ opcode: string }>();
      expect(program.map((row) => row.opcode)).toContain('OpenRead');
      const plan = await sql<{ detail: string }>`explain query plan select * from pet where owner_id = ${1}`.execute(
        db,
      );
      expect(plan.rows[0]!.detail).toMatch(/pet_owner_id_index/);
    });

    it('maps camelCase to snake_case with CamelCasePlugin', async () => {
      const { db } = await openSeeded(kysely, kind);
      const camel = db.withPlugin(new CamelCasePlugin()) as unknown as Kysely<{
        person: { id: number; firstName: string; lastName: string };
      }>;
      const row = await camel
        .selectFrom('person')
        .select(['firstName', 'lastName'])
        .where('id', '=', 2)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ firstName: 'Arnold', lastName: 'Schwarzenegger' });
      const inserted = await camel
        .insertInto('person')
        .values({ id: 9, firstName: 'Camel', lastName: 'Case', gender: 'other' } as never)
        .returning(['id', 'firstName'])
        .executeTakeFirstOrThrow();
      expect(inserted).toEqual({ id: 9, firstName: 'Camel' });
    });

    it('handles empty in-lists with HandleEmptyInListsPlugin and joins once with DeduplicateJoinsPlugin', async () => {
      const { db } = await openSeeded(kysely, kind);
      const safe = db.withPlugin(new HandleEmptyInListsPlugin({ strategy: replaceWithNoncontingentExpression }));
      expect(await safe.selectFrom('person').select('id').where('id', 'in', []).execute()).toEqual([]);
      expect(await safe.selectFrom('person').select('id').where('id', 'not in', []).orderBy('id').execute()).toEqual([
        { id: 1 },
        { id: 2 },
        { id: 3 },
      ]);
      const dedup = db.withPlugin(new DeduplicateJoinsPlugin());
      const rows = await dedup
        .selectFrom('person')
        .innerJoin('pet', 'pet.owner_id', 'person.id')
        .innerJoin('pet', 'pet.owner_id', 'person.id')
        .select('pet.name')
        .orderBy('pet.name')
        .execute();
      expect(rows.map((r) => r.name)).toEqual(['Catto', 'Doggo', 'Hammo']);
    });

    it('traverses JSON columns with ->> and the JSON path syntax', async () => {
      const { db } = await kysely.open(kind);
      await sql`create table meta (id integer primary key, profile text)`.execute(db);
      const profiles = [
        { auth: { roles: ['admin'], logins: 12 }, tags: ['a', 'b'] },
        { auth: { roles: [], logins: 3 }, tags: ['c'] },
      ];
      for (const [i, profile] of profiles.entries())
        await sql`insert into meta values (${i + 1}, ${JSON.stringify(profile)})`.execute(db);
      const typed = db.withPlugin(new ParseJSONResultsPlugin()) as unknown as Kysely<{
        meta: { id: number; profile: { auth: { roles: string[]; logins: number }; tags: string[] } };
      }>;
      const rows = await typed
        .selectFrom('meta')
        .select((eb) => [
          'id',
          eb.ref('profile', '->>$').key('auth').key('logins').as('logins'),
          eb.ref('profile', '->>').key('tags').at(0).as('first_tag'),
          eb.ref('profile', '->>$').key('auth').key('roles').as('roles'),
        ])
        .where((eb) => eb(eb.ref('profile', '->>$').key('auth').key('logins'), '>', 5))
        .execute();
      expect(rows).toEqual([{ id: 1, logins: 12, first_tag: 'a', roles: ['admin'] }]);
    });

    it('keeps values out of the SQL text: a hostile string is stored as it is', async () => {
      const { db } = await openSeeded(kysely, kind);
      const hostile = "'; drop table person; --";
      await db.insertInto('pet').values({ name: hostile, owner_id: 1, species: 'cat' }).execute();
      expect(await db.selectFrom('pet').select('name').where('name', '=', hostile).executeTakeFirst()).toEqual({
        name: hostile,
      });
      await db
        .selectFrom('person')
        .select(sql.ref(`first_name"; drop table person; --`).as('x'))
        .execute()
        .catch(() => {});
      expect(await count(db, 'person')).toBe(3);
    });

    it('builds queries conditionally with $if and $call, and orders with nulls first / last', async () => {
      const { db } = await openSeeded(kysely, kind);
      await db.updateTable('person').set({ middle_name: 'M' }).where('id', '=', 2).execute();
      const byMiddle = (withMale: boolean) =>
        db
          .selectFrom('person')
          .select(['id', 'middle_name'])
          .$if(withMale, (qb) => qb.where('gender', '=', 'male'))
          .$call((qb) => qb.orderBy('middle_name', (ob) => ob.asc().nullsLast()).orderBy('id'))
          .execute();
      expect((await byMiddle(false)).map((r) => r.id)).toEqual([2, 1, 3]);
      expect((await byMiddle(true)).map((r) => r.id)).toEqual([2, 3]);
      const nullsFirst = await db
        .selectFrom('person')
        .select('id')
        .orderBy('middle_name', (ob) => ob.desc().nullsFirst())
        .orderBy('id')
        .execute();
      expect(nullsFirst.map((r) => r.id)).toEqual([1, 3, 2]);
    });

    it('runs writes inside common table expressions', async () => {
      const { db } = await openSeeded(kysely, kind);
      const result = await db
        .with('dogs', (qb) => qb.selectFrom('pet').select(['owner_id']).where('species', '=', 'dog'))
        .updateTable('person')
        .set({ marital_status: 'married' })
        .where('id', 'in', (eb) => eb.selectFrom('dogs').select('owner_id'))
        .executeTakeFirstOrThrow();
      expect(result.numUpdatedRows).toBe(1n);
      const inserted = await db
        .with('source', (qb) => qb.selectFrom('person').select(['id']).where('gender', '=', 'male'))
        .insertInto('toy')
        .columns(['name', 'price', 'pet_id'])
        .expression((eb) =>
          eb.selectFrom('source').select([sql<string>`'stick'`.as('name'), sql<number>`1.0`.as('price'), 'source.id']),
        )
        .returning('pet_id')
        .execute();
      expect(inserted.map((r) => r.pet_id).sort()).toEqual([2, 3]);
    });

    it('serializes writes of many queries started at once', async () => {
      const { db } = await openSeeded(kysely, kind);
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          db
            .insertInto('toy')
            .values({ name: `toy ${i}`, price: i, pet_id: 1 })
            .execute(),
        ),
      );
      expect(await count(db, 'toy')).toBe(51);
      const sums = await Promise.all(
        Array.from({ length: 20 }, () =>
          db
            .selectFrom('toy')
            .select((eb) => eb.fn.sum<number>('price').as('s'))
            .executeTakeFirstOrThrow(),
        ),
      );
      expect(new Set(sums.map((r) => r.s))).toEqual(new Set([9.5 + (49 * 50) / 2]));
    });
  });
}
