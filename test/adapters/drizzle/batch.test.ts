/**
 * `db.batch([...])` through wasmlite/drizzle, local and replica: one atomic Client batch whose
 * per-item results are what each query gives on its own (builders, relational queries, raw
 * `db.run/all/get/values`).
 */
import { DrizzleQueryError, eq, sql } from 'drizzle-orm';
import { LibsqlError } from '../../../core/index.ts';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ResultSet } from '../../../core/index.ts';
import { CLIENT_KINDS } from '../support/clients.ts';
import { authors, books, library, LIBRARY_TABLES } from './relations.ts';
import { towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

describe.each(CLIENT_KINDS)('drizzle batch, %s client', (kind) => {
  it('maps each result as its query alone would: returning, run, select, partial select', async () => {
    const { db } = await dbs.open(kind);
    const [returned, ran, all, partial, updated] = await db.batch([
      db.insert(towns).values({ id: 1, name: 'Oslo' }).returning({ id: towns.id }),
      db.insert(towns).values({ id: 2, name: 'Lima' }),
      db.select().from(towns),
      db.select({ name: towns.name }).from(towns).where(eq(towns.id, 2)),
      db.update(towns).set({ name: 'Bergen' }).where(eq(towns.id, 1)).returning(),
    ]);
    expectTypeOf(returned).toEqualTypeOf<{ id: number }[]>();
    expectTypeOf(ran).toEqualTypeOf<ResultSet>();
    expectTypeOf(partial).toEqualTypeOf<{ name: string }[]>();
    expect(returned).toEqual([{ id: 1 }]);
    expect(ran).toMatchObject({ columns: [], rows: [], rowsAffected: 1, lastInsertRowid: 2n });
    expect(all).toEqual([
      { id: 1, name: 'Oslo' },
      { id: 2, name: 'Lima' },
    ]);
    expect(partial).toEqual([{ name: 'Lima' }]);
    expect(updated).toEqual([{ id: 1, name: 'Bergen' }]);
  });

  it('maps raw db.run/all/get/values items: objects, the first object (or undefined), value arrays', async () => {
    const { db } = await dbs.open(kind);
    const [ran, all, first, none, values] = await db.batch([
      db.run(sql`insert into towns (id, name) values (1, 'Oslo'), (2, 'Lima')`),
      db.all<{ id: number; name: string }>(sql`select * from towns`),
      db.get<{ id: number; name: string }>(sql`select * from towns order by id desc`),
      db.get(sql`select * from towns where id = 3`),
      db.values(sql`select id, name from towns`),
    ]);
    expect(ran.rowsAffected).toBe(2);
    expect(all).toEqual([
      { id: 1, name: 'Oslo' },
      { id: 2, name: 'Lima' },
    ]);
    expect(first).toEqual({ id: 2, name: 'Lima' });
    expect(none).toBeUndefined();
    expect(values).toEqual([
      [1, 'Oslo'],
      [2, 'Lima'],
    ]);
  });

  it('maps relational findMany/findFirst items', async () => {
    const { db } = await dbs.open(kind, { schema: library, tables: LIBRARY_TABLES });
    const [, , many, first, missing] = await db.batch([
      db.insert(authors).values({ id: 1, name: 'Ursula' }),
      db.insert(books).values([
        { id: 1, title: 'Earthsea', authorId: 1 },
        { id: 2, title: 'Lathe', authorId: 1 },
      ]),
      db.query.authors.findMany({ with: { books: { columns: { title: true } } } }),
      db.query.books.findFirst({ columns: { title: true }, with: { author: { columns: { name: true } } } }),
      db.query.books.findFirst({ where: (b, { eq }) => eq(b.id, 9) }),
    ]);
    expect(many).toEqual([
      { id: 1, name: 'Ursula', mentorId: null, books: [{ title: 'Earthsea' }, { title: 'Lathe' }] },
    ]);
    expect(first).toEqual({ title: 'Earthsea', author: { name: 'Ursula' } });
    expect(missing).toBeUndefined();
  });

  it("is atomic: a failing statement undoes the batch's earlier ones; the LibsqlError is the cause", async () => {
    const { db } = await dbs.open(kind);
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    const error = await db
      .batch([db.insert(towns).values({ id: 2, name: 'Lima' }), db.insert(towns).values({ id: 1, name: 'duplicate' })])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrizzleQueryError);
    expect((error as DrizzleQueryError).cause).toBeInstanceOf(LibsqlError);
    expect((error as DrizzleQueryError).cause).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
    });
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'Oslo' }]);
  });

  it('sees its own earlier writes in later reads of the same batch', async () => {
    const { db } = await dbs.open(kind);
    const [, count] = await db.batch([
      db.insert(towns).values([{ name: 'a' }, { name: 'b' }]),
      db.select({ n: sql<number>`count(*)` }).from(towns),
    ]);
    expect(count).toEqual([{ n: 2 }]);
  });
});
