/**
 * Inserts, updates, deletes and upserts through wasmlite/drizzle, local and replica: returning
 * clauses, defaults ($default, SQL defaults, all-default rows), $onUpdate, onConflict variants,
 * insert … select, and the run() result (rowsAffected, lastInsertRowid).
 */
import { asc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { edits, people, sales, seats, towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

describe.each(CLIENT_KINDS)('drizzle writes, %s client', (kind) => {
  it('inserts rows with generated ids and reads them back', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(people).values([{ name: 'Ada' }, { name: 'Bo', tags: ['x', 'y'] }, { name: 'Cy', active: true }]);
    expect(
      await db.select({ id: people.id, name: people.name, tags: people.tags, active: people.active }).from(people),
    ).toEqual([
      { id: 1, name: 'Ada', tags: null, active: false },
      { id: 2, name: 'Bo', tags: ['x', 'y'], active: false },
      { id: 3, name: 'Cy', tags: null, active: true },
    ]);
  });

  it('gives run() the Client result: rowsAffected and lastInsertRowid', async () => {
    const { db } = await dbs.open(kind);
    const inserted = await db
      .insert(towns)
      .values([{ name: 'Oslo' }, { name: 'Lima' }])
      .run();
    expect(inserted.rowsAffected).toBe(2);
    expect(inserted.lastInsertRowid).toBe(2n);
    const updated = await db.update(towns).set({ name: 'X' }).where(eq(towns.id, 99)).run();
    expect(updated.rowsAffected).toBe(0);
  });

  it('returns all columns or a selection from insert, update and delete', async () => {
    const { db } = await dbs.open(kind);
    const [ada] = await db.insert(people).values({ name: 'Ada' }).returning();
    expect(ada).toEqual({ id: 1, name: 'Ada', active: false, tags: null, joinedAt: expect.any(Date) });
    expect(
      await db
        .insert(people)
        .values({ name: 'Bo' })
        .returning({ shout: sql<string>`upper(${people.name})` }),
    ).toEqual([{ shout: 'BO' }]);
    expect(
      await db
        .update(people)
        .set({ name: 'Ann' })
        .where(eq(people.id, 1))
        .returning({ id: people.id, name: people.name }),
    ).toEqual([{ id: 1, name: 'Ann' }]);
    const gone = await db.delete(people).where(eq(people.name, 'Bo')).returning();
    expect(gone).toEqual([{ id: 2, name: 'Bo', active: false, tags: null, joinedAt: expect.any(Date) }]);
    expect(await db.select({ id: people.id }).from(people)).toEqual([{ id: 1 }]);
  });

  it('returns many rows from a multi-row insert', async () => {
    const { db } = await dbs.open(kind);
    const rows = await db
      .insert(people)
      .values([{ name: 'Ada' }, { name: 'Bo', active: true }])
      .returning({ id: people.id, active: people.active });
    expect(rows).toEqual([
      { id: 1, active: false },
      { id: 2, active: true },
    ]);
  });

  it('fills $default functions and inserts rows of defaults only', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(sales).values({ id: 1, region: 'North', amount: 1, units: 1 });
    expect(await db.select({ item: sales.item }).from(sales)).toEqual([{ item: 'unnamed' }]);
    const defaults = sqliteTable('defaults_only', {
      id: integer('id').primaryKey(),
      label: text('label').default('none'),
      note: text('note'),
    });
    await db.run(sql`CREATE TABLE defaults_only (id integer PRIMARY KEY, label text DEFAULT 'none', note text)`);
    await db.insert(defaults).values({});
    await db.insert(defaults).values([{}, {}]);
    expect(await db.select().from(defaults)).toEqual([1, 2, 3].map((id) => ({ id, label: 'none', note: null })));
  });

  it('inserts SQL values and leaves undefined values out', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(towns).values({ name: sql`'Sao' || ' ' || 'Paulo'` });
    await db.insert(people).values({ name: 'Ada', tags: undefined });
    expect(await db.select({ name: towns.name }).from(towns)).toEqual([{ name: 'Sao Paulo' }]);
    expect(await db.select({ tags: people.tags }).from(people)).toEqual([{ tags: null }]);
  });

  it('rejects an update with nothing to set, but not one whose other values are set', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    expect(() => db.update(towns).set({ name: undefined })).toThrow('No values to set');
    await expect(db.update(towns).set({ id: 1, name: undefined }).run()).resolves.toMatchObject({ rowsAffected: 1 });
  });

  it('does nothing on conflict, with and without a target, also for a composite key', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    await db.insert(towns).values({ id: 1, name: 'Other' }).onConflictDoNothing();
    await db.insert(towns).values({ id: 1, name: 'Other' }).onConflictDoNothing({ target: towns.id });
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'Oslo' }]);
    await db.insert(seats).values({ row: 1, label: 'A', holder: 'Ada' });
    await db
      .insert(seats)
      .values({ row: 1, label: 'A', holder: 'Bo' })
      .onConflictDoNothing({ target: [seats.row, seats.label] });
    expect(await db.select().from(seats)).toEqual([{ row: 1, label: 'A', holder: 'Ada' }]);
  });

  it('upserts with onConflictDoUpdate, with a where clause and on a composite key', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(people).values({ id: 1, name: 'Ada' });
    const [up] = await db
      .insert(people)
      .values({ id: 1, name: 'Ada' })
      .onConflictDoUpdate({ target: people.id, set: { name: 'Ada L.' } })
      .returning({ name: people.name });
    expect(up).toEqual({ name: 'Ada L.' });
    await db
      .insert(people)
      .values({ id: 1, name: 'ignored', active: true })
      .onConflictDoUpdate({ target: people.id, set: { active: true }, where: eq(people.active, false) });
    await db
      .insert(people)
      .values({ id: 1, name: 'ignored' })
      .onConflictDoUpdate({ target: people.id, set: { name: 'never' }, where: eq(people.active, false) });
    expect(await db.select({ name: people.name, active: people.active }).from(people)).toEqual([
      { name: 'Ada L.', active: true },
    ]);
    await db.insert(seats).values({ row: 2, label: 'B', holder: 'Ada' });
    await db
      .insert(seats)
      .values({ row: 2, label: 'B', holder: 'x' })
      .onConflictDoUpdate({ target: [seats.row, seats.label], set: { holder: sql`excluded.holder || '!'` } });
    expect(await db.select({ holder: seats.holder }).from(seats)).toEqual([{ holder: 'x!' }]);
  });

  it('applies $onUpdate and $onUpdateFn as defaults on insert and on every update', async () => {
    const { db } = await dbs.open(kind);
    const start = Date.now();
    await db.insert(edits).values([{ title: 'a', draft: 'kept until updated' }, { title: 'b' }, { title: 'c' }]);
    await db.update(edits).set({ title: 'a2' }).where(eq(edits.id, 1));
    await db.update(edits).set({ revision: null }).where(eq(edits.id, 2));
    const { touchedAt, ...rest } = getTableColumns(edits);
    expect(await db.select(rest).from(edits).orderBy(asc(edits.id))).toEqual([
      { id: 1, title: 'a2', revision: 2, draft: null },
      { id: 2, title: 'b', revision: null, draft: null },
      { id: 3, title: 'c', revision: 1, draft: null },
    ]);
    for (const { touchedAt: at } of await db.select({ touchedAt }).from(edits)) {
      expect(at).toBeInstanceOf(Date);
      expect(at!.getTime()).toBeGreaterThanOrEqual(start);
    }
  });

  it('inserts from a select, with returning', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(people).values([{ name: 'Ada' }, { name: 'Bo' }, { name: 'Cy' }]);
    const copied = await db
      .insert(towns)
      .select(
        db
          .select({ id: people.id, name: people.name })
          .from(people)
          .where(inArray(people.name, ['Ada', 'Cy'])),
      )
      .returning();
    expect(copied).toEqual([
      { id: 1, name: 'Ada' },
      { id: 3, name: 'Cy' },
    ]);
    expect(() => db.insert(towns).select(db.select({ name: people.name, id: people.id }).from(people))).toThrow();
  });

  it('updates and deletes with the awaited builders (no .run())', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    await db.update(towns).set({ name: 'Bergen' }).where(eq(towns.id, 1));
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'Bergen' }]);
    await db.delete(towns).where(eq(towns.id, 1));
    expect(await db.select().from(towns)).toEqual([]);
  });
});
