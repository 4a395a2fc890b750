/**
 * The raw API (`db.run/all/get/values` with `sql`) and prepared statements with placeholders,
 * through wasmlite/drizzle, local and replica.
 */
import { eq, Name, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { people, towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

describe.each(CLIENT_KINDS)('drizzle raw SQL and prepared statements, %s client', (kind) => {
  it('runs raw SQL with run/all/get/values and interpolated values', async () => {
    const { db } = await dbs.open(kind);
    const result = await db.run(sql`insert into ${towns} (${new Name('name')}) values (${'Oslo'}), (${'Lima'})`);
    expect(result.rowsAffected).toBe(2);
    expect(await db.all(sql`select id, name from towns order by id`)).toEqual([
      { id: 1, name: 'Oslo' },
      { id: 2, name: 'Lima' },
    ]);
    expect(await db.get(sql`select ${towns.id}, ${towns.name} from ${towns} where ${towns.id} = ${2}`)).toEqual({
      id: 2,
      name: 'Lima',
    });
    expect(await db.values(sql`select id, name from towns order by id`)).toEqual([
      [1, 'Oslo'],
      [2, 'Lima'],
    ]);
  });

  it('inserts through db.get with a raw returning clause and with a query builder', async () => {
    const { db } = await dbs.open(kind);
    expect(await db.get(sql`insert into towns (name) values (${'Oslo'}) returning id, name`)).toEqual({
      id: 1,
      name: 'Oslo',
    });
    expect(
      await db.get(db.insert(towns).values({ name: 'Lima' }).returning({ id: towns.id, name: towns.name })),
    ).toEqual({ id: 2, name: 'Lima' });
  });

  it('keeps the first of two result columns with the same name in raw object rows', async () => {
    const { db } = await dbs.open(kind);
    expect(await db.get(sql`select 1 as x, 2 as x`)).toEqual({ x: 1 });
    expect(await db.values(sql`select 1 as x, 2 as x`)).toEqual([[1, 2]]);
  });

  it('runs a prepared select many times', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(towns).values([{ name: 'Oslo' }, { name: 'Lima' }]);
    const all = db.select().from(towns).prepare();
    expect(await all.all()).toEqual([
      { id: 1, name: 'Oslo' },
      { id: 2, name: 'Lima' },
    ]);
    await db.insert(towns).values({ name: 'Nara' });
    expect(await all.execute()).toHaveLength(3);
  });

  it('reuses a prepared insert with a placeholder', async () => {
    const { db } = await dbs.open(kind);
    const insert = db
      .insert(towns)
      .values({ name: sql.placeholder('name') })
      .prepare();
    for (let i = 0; i < 10; i++) await insert.run({ name: `town ${i}` });
    const rows = await db.select().from(towns);
    expect(rows).toEqual(Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `town ${i}` })));
  });

  it('binds placeholders in where, limit and offset of a prepared select, with get/all/values', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(people).values([{ name: 'Ada' }, { name: 'Bo' }, { name: 'Cy' }]);
    const byId = db
      .select({ id: people.id, name: people.name })
      .from(people)
      .where(eq(people.id, sql.placeholder('id')))
      .prepare();
    expect(await byId.get({ id: 2 })).toEqual({ id: 2, name: 'Bo' });
    expect(await byId.get({ id: 9 })).toBeUndefined();
    expect(await byId.all({ id: 3 })).toEqual([{ id: 3, name: 'Cy' }]);
    expect(await byId.values({ id: 1 })).toEqual([[1, 'Ada']]);
    const page = db
      .select({ name: people.name })
      .from(people)
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare();
    expect(await page.all({ limit: 2, offset: 1 })).toEqual([{ name: 'Bo' }, { name: 'Cy' }]);
  });

  it('runs prepared insert, update and delete through execute()', async () => {
    const { db } = await dbs.open(kind);
    const list = db.select().from(towns).prepare();
    await db.insert(towns).values({ id: 1, name: 'Oslo' }).prepare().execute();
    expect(await list.execute()).toEqual([{ id: 1, name: 'Oslo' }]);
    await db.update(towns).set({ name: 'Bergen' }).where(eq(towns.id, 1)).prepare().execute();
    expect(await list.execute()).toEqual([{ id: 1, name: 'Bergen' }]);
    await db.delete(towns).where(eq(towns.id, 1)).prepare().execute();
    expect(await list.execute()).toEqual([]);
  });

  it('logs every query with its parameters through the configured logger', async () => {
    const logged: Array<[string, unknown[]]> = [];
    const { db } = await dbs.open(kind, { logger: { logQuery: (query, params) => logged.push([query, params]) } });
    await db.insert(towns).values({ name: 'Oslo' });
    await db.select().from(towns).where(eq(towns.id, 1));
    expect(logged).toEqual([
      ['insert into "towns" ("id", "name") values (null, ?)', ['Oslo']],
      ['select "id", "name" from "towns" where "towns"."id" = ?', [1]],
    ]);
  });

  it('maps names with casing: snake_case', async () => {
    const { db } = await dbs.open(kind, {
      casing: 'snake_case',
      tables: ['CREATE TABLE notes (note_id integer PRIMARY KEY, body_text text)'],
    });
    const { sqliteTable, integer, text } = await import('drizzle-orm/sqlite-core');
    const notes = sqliteTable('notes', { noteId: integer().primaryKey(), bodyText: text() });
    await db.insert(notes).values({ bodyText: 'hello' });
    expect(await db.select().from(notes)).toEqual([{ noteId: 1, bodyText: 'hello' }]);
  });
});
