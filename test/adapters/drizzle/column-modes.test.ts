/**
 * Every drizzle-orm SQLite column mode round-trips through wasmlite/drizzle, local and replica:
 * integers as numbers (never bigints), booleans, timestamps in seconds and milliseconds, blobs as
 * Buffer / JSON / bigint, JSON text, reals and numerics.
 */
import { eq, sql } from 'drizzle-orm';
import { blob, integer, numeric, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

const everything = sqliteTable('everything', {
  id: integer('id').primaryKey(),
  count: integer('count'),
  flag: integer('flag', { mode: 'boolean' }),
  seconds: integer('seconds', { mode: 'timestamp' }),
  millis: integer('millis', { mode: 'timestamp_ms' }),
  bytes: blob('bytes', { mode: 'buffer' }),
  doc: blob('doc', { mode: 'json' }).$type<{ a: number[]; b: string | null }>(),
  huge: blob('huge', { mode: 'bigint' }),
  jsonText: text('json_text', { mode: 'json' }).$type<{ nested: { ok: boolean } }>(),
  choice: text('choice', { enum: ['red', 'green'] }),
  ratio: real('ratio'),
  price: numeric('price'),
});

const DDL =
  `CREATE TABLE everything (id integer PRIMARY KEY, count integer, flag integer, seconds integer, ` +
  `millis integer, bytes blob,
  doc blob, huge blob, json_text text, choice text, ratio real, price numeric)`;

describe.each(CLIENT_KINDS)('drizzle column modes, %s client', (kind) => {
  it('round-trips every mode through insert … returning and select', async () => {
    const { db } = await dbs.open(kind, { tables: [DDL] });
    const value = {
      id: 1,
      count: 2 ** 53 - 1,
      flag: true,
      seconds: new Date('2024-05-06T07:08:09.000Z'),
      millis: new Date('2024-05-06T07:08:09.123Z'),
      bytes: Buffer.from([0, 1, 2, 255]),
      doc: { a: [1, 2], b: null },
      huge: 2n ** 64n + 1n,
      jsonText: { nested: { ok: true } },
      choice: 'green' as const,
      ratio: 0.25,
      price: '12.50',
    };
    const [returned] = await db.insert(everything).values(value).returning();
    const selected = await db.select().from(everything).where(eq(everything.id, 1)).get();
    for (const row of [returned, selected]) {
      // numeric() is text in Drizzle's type; SQLite stores 12.50 with NUMERIC affinity as the real 12.5.
      expect(row).toEqual({ ...value, price: '12.5' });
      expect(typeof row!.count).toBe('number');
      expect(Buffer.isBuffer(row!.bytes)).toBe(true);
    }
  });

  it('round-trips nulls in every mode', async () => {
    const { db } = await dbs.open(kind, { tables: [DDL] });
    await db.insert(everything).values({ id: 1 });
    const row = await db.select().from(everything).get();
    expect(row).toEqual({
      id: 1,
      count: null,
      flag: null,
      seconds: null,
      millis: null,
      bytes: null,
      doc: null,
      huge: null,
      jsonText: null,
      choice: null,
      ratio: null,
      price: null,
    });
  });

  it('keeps timestamps to the second in timestamp mode and to the millisecond in timestamp_ms mode', async () => {
    const { db } = await dbs.open(kind, { tables: [DDL] });
    const at = new Date('2024-01-02T03:04:05.678Z');
    await db.insert(everything).values({ id: 1, seconds: at, millis: at });
    expect(await db.select({ seconds: everything.seconds, millis: everything.millis }).from(everything).get()).toEqual({
      seconds: new Date('2024-01-02T03:04:05.000Z'),
      millis: at,
    });
    expect(await db.values(sql`select seconds, millis from everything`)).toEqual([
      [Math.floor(at.getTime() / 1000), at.getTime()],
    ]);
  });

  it('gives integers as numbers in integer, boolean and count results, and real values as numbers', async () => {
    const { db } = await dbs.open(kind, { tables: [DDL] });
    await db.insert(everything).values([
      { id: 1, count: -5, flag: false, ratio: 2 },
      { id: 2, count: 0, ratio: -1.5 },
    ]);
    const rows = await db
      .select({
        count: everything.count,
        flag: everything.flag,
        ratio: everything.ratio,
        n: sql<number>`count(*) over ()`,
      })
      .from(everything);
    expect(rows).toEqual([
      { count: -5, flag: false, ratio: 2, n: 2 },
      { count: 0, flag: null, ratio: -1.5, n: 2 },
    ]);
    for (const row of rows) for (const v of Object.values(row)) expect(typeof v === 'bigint').toBe(false);
  });

  it('binds a placeholder through the column encoder (boolean, timestamp, json)', async () => {
    const { db } = await dbs.open(kind, { tables: [DDL] });
    const insert = db
      .insert(everything)
      .values({
        flag: sql.placeholder('flag'),
        millis: sql.placeholder('millis'),
        doc: sql.placeholder('doc'),
      })
      .prepare();
    await insert.run({ flag: true, millis: new Date(5), doc: { a: [1], b: 'x' } });
    await insert.run({ flag: false, millis: new Date(6), doc: { a: [], b: null } });
    expect(
      await db.select({ flag: everything.flag, millis: everything.millis, doc: everything.doc }).from(everything),
    ).toEqual([
      { flag: true, millis: new Date(5), doc: { a: [1], b: 'x' } },
      { flag: false, millis: new Date(6), doc: { a: [], b: null } },
    ]);
  });

  it('gives blobs of raw SQL queries as Buffers', async () => {
    const { db } = await dbs.open(kind, { tables: [DDL] });
    await db.insert(everything).values({ id: 1, bytes: Buffer.from('hi') });
    expect(await db.get(sql`select bytes from everything`)).toEqual({ bytes: Buffer.from('hi') });
    expect(await db.values(sql`select bytes from everything`)).toEqual([[Buffer.from('hi')]]);
  });
});
