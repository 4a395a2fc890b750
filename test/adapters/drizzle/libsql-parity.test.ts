/**
 * Differential check against drizzle-orm/libsql: each scenario runs on a fresh database through
 * drizzle-orm/libsql (@libsql/client, a local file) and through wasmlite/drizzle (local and
 * replica), and must give the same result, so that a libsql user who changes the import sees
 * no difference. The expectations are whatever libsql gives, not written by hand.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient as createLibsqlClient } from '@libsql/client';
import { and, avg, count, desc, DrizzleQueryError, eq, gt, inArray, lt, max, sql, sum } from 'drizzle-orm';
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql';
import { alias, BaseSQLiteDatabase, union } from 'drizzle-orm/sqlite-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { authors, books, library, LIBRARY_TABLES, reviews } from './relations.ts';
import { CREATE_TABLES, edits, people, prices, residents, sales, seats, towns } from './schema.ts';
import { useDrizzle } from './support.ts';

// Both drivers' databases, seen through what the scenarios use: the async SQLite API and batch.
type AnyDb = BaseSQLiteDatabase<'async', any, typeof library> & {
  batch(queries: readonly unknown[]): Promise<unknown[]>;
};
type Scenario = (db: AnyDb) => Promise<unknown>;

const dbs = useDrizzle();
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function onLibsql(scenario: Scenario): Promise<unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-drizzle-libsql-'));
  dirs.push(dir);
  const client = createLibsqlClient({ url: `file:${path.join(dir, 'libsql.db')}` });
  try {
    await client.batch([...CREATE_TABLES, ...LIBRARY_TABLES], 'write');
    return await settle(scenario(drizzleLibsql(client, { schema: library }) as unknown as AnyDb));
  } finally {
    client.close();
  }
}

/** A scenario's value, or for a rejection what both drivers share: the DrizzleQueryError's query and params. */
async function settle(result: Promise<unknown>): Promise<unknown> {
  try {
    return { value: await result };
  } catch (error) {
    if (!(error instanceof DrizzleQueryError)) return { thrown: String(error) };
    return { failed: { query: error.query, params: error.params } };
  }
}

async function seed(db: AnyDb): Promise<void> {
  await db.insert(towns).values([
    { id: 1, name: 'Oslo' },
    { id: 2, name: 'Lima' },
    { id: 3, name: 'Nara' },
  ]);
  await db
    .insert(residents)
    .values([{ name: 'Ada', townId: 1 }, { name: 'Bo', townId: 2 }, { name: 'Cy', townId: 2 }, { name: 'Di' }]);
  await db.insert(sales).values([
    { region: 'N', item: 'kettle', amount: 10, units: 1 },
    { region: 'N', amount: 25, units: 2 },
    { region: 'S', item: 'lamp', amount: 40, units: 4 },
    { region: 'S', item: 'lamp', amount: 7, units: 1 },
  ]);
  await db.insert(authors).values([
    { id: 1, name: 'Ursula' },
    { id: 2, name: 'Octavia', mentorId: 1 },
  ]);
  await db.insert(books).values([
    { id: 1, title: 'Earthsea', authorId: 1, published: new Date(-63158400000) },
    { id: 2, title: 'Kindred', authorId: 2 },
  ]);
  await db.insert(reviews).values([
    { bookId: 1, stars: 5 },
    { bookId: 1, stars: 3, liked: false },
  ]);
}

const SCENARIOS: Record<string, Scenario> = {
  'insert returning, select with every column mode': async (db) => {
    const when = new Date('2024-02-03T04:05:06.789Z');
    const inserted = await db
      .insert(people)
      .values([
        { name: 'Ada', active: true, tags: ['a', 'b'], joinedAt: when },
        { name: 'Bo', joinedAt: when },
      ])
      .returning();
    await db.insert(edits).values({ title: 'x', touchedAt: when, draft: 'd' });
    await db.insert(prices).values([
      { id: 1, amount: '10.25', ratio: 0.5 },
      { id: 2, amount: '3', ratio: 2, cheap: true },
    ]);
    return [inserted, await db.select().from(people), await db.select().from(edits), await db.select().from(prices)];
  },
  'run() results': async (db) => {
    const runs = [
      await db
        .insert(towns)
        .values([{ name: 'a' }, { name: 'b' }])
        .run(),
      await db.update(towns).set({ name: 'c' }).where(eq(towns.id, 1)).run(),
      await db.delete(towns).where(eq(towns.id, 99)).run(),
    ];
    // lastInsertRowid of a statement that changed nothing differs (libsql: the connection's last
    // one; the wasmlite Client: undefined), so it is compared for the insert only.
    return runs.map((r: { rowsAffected: number; lastInsertRowid?: bigint }, i) => [
      r.rowsAffected,
      i === 0 ? r.lastInsertRowid : 'n/a',
    ]);
  },
  'joins, aliases and nullable joined tables': async (db) => {
    await seed(db);
    const other = alias(residents, 'other');
    return [
      await db.select().from(residents).leftJoin(towns, eq(residents.townId, towns.id)).orderBy(residents.id),
      await db
        .select({ r: residents.name, o: other.name })
        .from(residents)
        .innerJoin(other, and(eq(other.townId, residents.townId), lt(residents.id, other.id))),
      await db
        .select({ town: towns.name, n: count(residents.id) })
        .from(towns)
        .leftJoin(residents, eq(residents.townId, towns.id))
        .groupBy(towns.id)
        .orderBy(desc(count(residents.id)), towns.id),
    ];
  },
  'aggregates, $count, subqueries and set operations': async (db) => {
    await seed(db);
    const big = db.select({ id: sales.id }).from(sales).where(gt(sales.amount, 9)).as('big');
    return [
      await db.select({ s: sum(sales.amount), a: avg(sales.units), m: max(sales.amount), n: count() }).from(sales),
      await db.$count(sales, eq(sales.region, 'S')),
      await db.select({ id: big.id }).from(big),
      await union(
        db.select({ name: towns.name }).from(towns),
        db.select({ name: residents.name }).from(residents),
      ).orderBy(sql`name`),
      await db
        .select({ item: sales.item })
        .from(sales)
        .where(inArray(sales.region, ['N'])),
    ];
  },
  'CTE update and delete with returning': async (db) => {
    await seed(db);
    const average = db.$with('average').as(db.select({ value: sql`avg(${sales.amount})`.as('value') }).from(sales));
    return [
      await db
        .with(average)
        .update(sales)
        .set({ item: 'cheap' })
        .where(lt(sales.amount, sql`(select * from ${average})`))
        .returning(),
      await db
        .with(average)
        .delete(sales)
        .where(gt(sales.amount, sql`(select * from ${average})`))
        .returning({ id: sales.id }),
    ];
  },
  upserts: async (db) => {
    await db.insert(seats).values({ row: 1, label: 'A', holder: 'Ada' });
    await db.insert(seats).values({ row: 1, label: 'A', holder: 'Bo' }).onConflictDoNothing();
    const updated = await db
      .insert(seats)
      .values({ row: 1, label: 'A', holder: 'Cy' })
      .onConflictDoUpdate({ target: [seats.row, seats.label], set: { holder: sql`excluded.holder` } })
      .returning();
    return [updated, await db.select().from(seats)];
  },
  'relational queries': async (db) => {
    await seed(db);
    return [
      await db.query.authors.findMany({ with: { books: { with: { reviews: true } }, mentor: true } }),
      await db.query.books.findFirst({
        where: (b, { eq }) => eq(b.id, 2),
        with: { author: { columns: { name: true } } },
      }),
      await db.query.books.findFirst({ where: (b, { eq }) => eq(b.id, 9) }),
    ];
  },
  'batch with every kind of item': async (db) => {
    const results = await db.batch([
      db.insert(towns).values({ id: 1, name: 'Oslo' }).returning(),
      db.insert(towns).values({ id: 2, name: 'Lima' }),
      db.update(towns).set({ name: 'Bergen' }).where(eq(towns.id, 1)),
      db.select().from(towns),
      db.select({ n: count() }).from(towns),
      db.select().from(towns).where(eq(towns.id, 9)),
      db.run(sql`insert into towns (id, name) values (3, 'Nara')`),
      db.all(sql`select id, name from towns order by id`),
      db.get(sql`select name from towns where id = 3`),
    ]);
    // ResultSets of writes: compare what both define the same way.
    return results.map((r) =>
      r !== null && typeof r === 'object' && 'rowsAffected' in r ? [(r as { rowsAffected: number }).rowsAffected] : r,
    );
  },
  'transactions and savepoints': async (db) => {
    await db.transaction(async (tx) => {
      await tx.insert(towns).values({ id: 1, name: 'kept' });
      await tx
        .transaction(async (inner) => {
          await inner.insert(towns).values({ id: 2, name: 'undone' });
          inner.rollback();
        })
        .catch(() => {});
      await tx.transaction(async (inner) => inner.insert(towns).values({ id: 3, name: 'nested kept' }));
    });
    await db
      .transaction(async (tx) => {
        await tx.insert(towns).values({ id: 4, name: 'rolled back' });
        tx.rollback();
      })
      .catch(() => {});
    return db.select().from(towns);
  },
  'prepared statements with placeholders': async (db) => {
    await seed(db);
    const byTown = db
      .select({ name: residents.name })
      .from(residents)
      .where(eq(residents.townId, sql.placeholder('town')))
      .prepare();
    const one = db
      .select()
      .from(towns)
      .where(eq(towns.id, sql.placeholder('id')))
      .prepare();
    // libsql's values() rows are its Row objects (array-like); Drizzle types them as arrays.
    return [
      await byTown.all({ town: 2 }),
      await one.get({ id: 3 }),
      await one.get({ id: 30 }),
      (await one.values({ id: 1 })).map((row) => Array.from(row as unknown[])),
    ];
  },
  'raw SQL without blobs': async (db) => {
    await seed(db);
    return [
      await db.all(sql`select id, name, town_id from residents order by id`),
      await db.get(sql`select count(*) as n, max(amount) as m from sales`),
      // Not compared: a raw db.get of no row, which drizzle-orm/libsql rejects (it maps the
      // missing row) and wasmlite/drizzle resolves to undefined (queries.test.ts).
      (await db.values(sql`select id, name from towns order by id`)).map((row) => Array.from(row as unknown[])),
    ];
  },
  'failing queries': async (db) => {
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    return db.insert(towns).values({ id: 1, name: 'again' });
  },
  'failing raw query': async (db) => db.all(sql`select * from nowhere where x = ${1}`),
};

describe.each(CLIENT_KINDS)('wasmlite/drizzle gives what drizzle-orm/libsql gives, %s client', (kind) => {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    it(name, async () => {
      const expected = await onLibsql(scenario);
      const { db } = await dbs.open(kind, { schema: library, tables: [...CREATE_TABLES, ...LIBRARY_TABLES] });
      expect(await settle(scenario(db as unknown as AnyDb))).toEqual(expected);
    });
  }
});
