/**
 * Select queries through wasmlite/drizzle, local and replica: the breadth of drizzle-orm's own
 * SQLite integration suite (partial and SQL selections, joins and aliases, subqueries, CTEs,
 * views, grouping, set operations, aggregates, limits).
 */
import {
  and,
  asc,
  avg,
  avgDistinct,
  count,
  countDistinct,
  desc,
  eq,
  exists,
  getTableColumns,
  gt,
  gte,
  inArray,
  lt,
  max,
  min,
  notInArray,
  sql,
  sum,
  sumDistinct,
} from 'drizzle-orm';
import {
  alias,
  except,
  getViewConfig,
  integer,
  intersect,
  sqliteTable,
  sqliteTableCreator,
  sqliteView,
  text,
  union,
  unionAll,
} from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { people, readings, residents, sales, towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

const SALES = [
  { region: 'North', item: 'kettle', amount: 10, units: 1 },
  { region: 'North', item: 'kettle', amount: 20, units: 2 },
  { region: 'North', item: 'lamp', amount: 20, units: 2 },
  { region: 'North', item: 'lamp', amount: 30, units: 3 },
  { region: 'South', item: 'kettle', amount: 30, units: 3 },
  { region: 'South', item: 'kettle', amount: 40, units: 4 },
  { region: 'South', item: 'lamp', amount: 40, units: 4 },
  { region: 'South', item: 'lamp', amount: 50, units: 5 },
];

describe.each(CLIENT_KINDS)('drizzle selects, %s client', (kind) => {
  async function withTownsAndResidents() {
    const opened = await dbs.open(kind);
    await opened.db.insert(towns).values([
      { id: 1, name: 'Oslo' },
      { id: 2, name: 'Lima' },
      { id: 3, name: 'Nara' },
    ]);
    await opened.db.insert(residents).values([
      { id: 1, name: 'Ada', townId: 1 },
      { id: 2, name: 'Bo', townId: 2 },
      { id: 3, name: 'Cy', townId: 3 },
      { id: 4, name: 'Di', townId: 3 },
      { id: 5, name: 'Ed', townId: 2 },
      { id: 6, name: 'Flo', townId: 1 },
      { id: 7, name: 'Gus', townId: 2 },
      { id: 8, name: 'Hal', townId: 1 },
    ]);
    return opened;
  }

  it('selects every column with defaults decoded (boolean, json, timestamp)', async () => {
    const { db } = await dbs.open(kind);
    const before = Math.floor(Date.now() / 1000) * 1000;
    await db.insert(people).values({ name: 'Ada' });
    const rows = await db.select().from(people);
    expect(rows).toEqual([{ id: 1, name: 'Ada', active: false, tags: null, joinedAt: expect.any(Date) }]);
    expect(rows[0]!.joinedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(rows[0]!.joinedAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('selects a partial set of columns, SQL expressions and typed SQL', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(people).values([{ name: 'Ada' }, { name: 'Bo' }]);
    expect(await db.select({ name: people.name }).from(people)).toEqual([{ name: 'Ada' }, { name: 'Bo' }]);
    expect(
      await db
        .select({ shout: sql`upper(${people.name})` })
        .from(people)
        .all(),
    ).toEqual([{ shout: 'ADA' }, { shout: 'BO' }]);
    const typed = await db.select({ len: sql<number>`length(${people.name})`.mapWith(Number) }).from(people);
    expect(typed).toEqual([{ len: 3 }, { len: 2 }]);
  });

  it('handles empty lists in inArray and notInArray', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(people).values([{ name: 'Ada' }, { name: 'Bo' }]);
    expect(await db.select({ id: people.id }).from(people).where(inArray(people.id, []))).toEqual([]);
    expect(await db.select({ id: people.id }).from(people).where(notInArray(people.id, []))).toEqual([
      { id: 1 },
      { id: 2 },
    ]);
  });

  it('selects distinct rows', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(sales).values([SALES[0]!, SALES[1]!, SALES[2]!, SALES[4]!]);
    const rows = await db
      .selectDistinct({ region: sales.region, item: sales.item })
      .from(sales)
      .orderBy(sales.region, sales.item);
    expect(rows).toEqual([
      { region: 'North', item: 'kettle' },
      { region: 'North', item: 'lamp' },
      { region: 'South', item: 'kettle' },
    ]);
  });

  it('joins with an alias, nesting the selection per table', async () => {
    const { db } = await withTownsAndResidents();
    const other = alias(residents, 'other');
    const partial = await db
      .select({ me: { id: residents.id, name: residents.name }, other: { id: other.id, name: other.name } })
      .from(residents)
      .leftJoin(other, eq(other.id, 2))
      .where(eq(residents.id, 1));
    expect(partial).toEqual([{ me: { id: 1, name: 'Ada' }, other: { id: 2, name: 'Bo' } }]);
    const full = await db.select().from(residents).leftJoin(other, eq(other.id, 99)).where(eq(residents.id, 1));
    expect(full).toEqual([{ residents: { id: 1, name: 'Ada', townId: 1 }, other: null }]);
  });

  it('joins a table to itself through two aliases of a prefixed table', async () => {
    const { db } = await dbs.open(kind);
    const table = sqliteTableCreator((name) => `app_${name}`)('users', {
      id: integer('id').primaryKey(),
      name: text('name').notNull(),
    });
    await db.run(sql`CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL)`);
    await db.insert(table).values([
      { id: 10, name: 'Ada' },
      { id: 11, name: 'Bo' },
    ]);
    const a = alias(table, 'a');
    const b = alias(table, 'b');
    expect(await db.select().from(a).innerJoin(b, eq(b.id, 11)).where(eq(a.id, 10))).toEqual([
      { a: { id: 10, name: 'Ada' }, b: { id: 11, name: 'Bo' } },
    ]);
  });

  it('groups by columns and SQL, with having, ordering by a selected alias', async () => {
    const { db } = await withTownsAndResidents();
    const grouped = await db
      .select({ name: residents.name })
      .from(residents)
      .groupBy(sql`${residents.townId}`)
      .orderBy(asc(residents.townId));
    expect(grouped).toHaveLength(3);
    const rows = await db
      .select({
        id: towns.id,
        upper: sql<string>`upper(${towns.name})`.as('upper_name'),
        count: sql<number>`count(${residents.id})`.as('resident_count'),
      })
      .from(towns)
      .leftJoin(residents, eq(residents.townId, towns.id))
      .groupBy(towns.id)
      .having(({ count }) => sql`${count} > 2`)
      .orderBy(({ upper }) => upper);
    expect(rows).toEqual([
      { id: 2, upper: 'LIMA', count: 3 },
      { id: 1, upper: 'OSLO', count: 3 },
    ]);
  });

  it('filters with exists over a correlated subquery', async () => {
    const { db } = await withTownsAndResidents();
    const inner = alias(residents, 'inner');
    const rows = await db
      .select({ name: towns.name })
      .from(towns)
      .where(
        exists(
          db
            .select({ one: sql`1` })
            .from(inner)
            .where(and(eq(inner.townId, towns.id), eq(inner.name, 'Cy'))),
        ),
      );
    expect(rows).toEqual([{ name: 'Nara' }]);
  });

  it('joins a grouped subquery and selects from a subquery', async () => {
    const { db } = await withTownsAndResidents();
    const perTown = db
      .select({ townId: residents.townId, total: sql<number>`count(*)`.as('total') })
      .from(residents)
      .groupBy(residents.townId)
      .as('per_town');
    const rows = await db
      .select({ town: towns.name, total: perTown.total })
      .from(towns)
      .leftJoin(perTown, eq(perTown.townId, towns.id))
      .orderBy(towns.name);
    expect(rows).toEqual([
      { town: 'Lima', total: 3 },
      { town: 'Nara', total: 2 },
      { town: 'Oslo', total: 3 },
    ]);
    const sq = db
      .select({ label: sql<string>`${towns.name} || '!'`.as('label') })
      .from(towns)
      .as('sq');
    expect(await db.select({ label: sq.label }).from(sq)).toEqual([
      { label: 'Oslo!' },
      { label: 'Lima!' },
      { label: 'Nara!' },
    ]);
  });

  it('runs CTEs ($with) in selects, updates, inserts and deletes', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(sales).values(SALES);
    const byRegion = db.$with('by_region').as(
      db
        .select({ region: sales.region, total: sql<number>`sum(${sales.amount})`.as('total') })
        .from(sales)
        .groupBy(sales.region),
    );
    const top = db
      .$with('top')
      .as(db.select({ region: byRegion.region }).from(byRegion).where(gt(byRegion.total, 100)));
    const report = await db
      .with(byRegion, top)
      .select({
        region: sales.region,
        item: sales.item,
        units: sql<number>`cast(sum(${sales.units}) as int)`,
      })
      .from(sales)
      .where(inArray(sales.region, db.select({ region: top.region }).from(top)))
      .groupBy(sales.region, sales.item)
      .orderBy(sales.item);
    expect(report).toEqual([
      { region: 'South', item: 'kettle', units: 7 },
      { region: 'South', item: 'lamp', units: 9 },
    ]);

    const average = db.$with('average').as(db.select({ value: sql`avg(${sales.amount})`.as('value') }).from(sales));
    const updated = await db
      .with(average)
      .update(sales)
      .set({ item: 'small' })
      .where(lt(sales.amount, sql`(select * from ${average})`))
      .returning({ id: sales.id });
    expect(updated).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    const deleted = await db
      .with(average)
      .delete(sales)
      .where(gt(sales.amount, sql`(select * from ${average})`))
      .returning({ id: sales.id });
    expect(deleted).toEqual([{ id: 6 }, { id: 7 }, { id: 8 }]);

    const howMany = db.$with('how_many').as(db.select({ value: sql`count(*)`.as('value') }).from(people));
    const inserted = await db
      .with(howMany)
      .insert(people)
      .values({ name: 'First', active: sql`((select * from ${howMany}) = 0)` })
      .returning({ active: people.active });
    expect(inserted).toEqual([{ active: true }]);
  });

  it('nests the selection of a joined subquery that itself joins two tables', async () => {
    const { db } = await withTownsAndResidents();
    // Distinct column names inside the subquery: SQLite resolves a duplicated one to the first.
    const located = db
      .select({
        who: { id: residents.id, name: residents.name },
        where: { town: sql<string>`${towns.name}`.as('town_name') },
      })
      .from(residents)
      .leftJoin(towns, eq(residents.townId, towns.id))
      .as('located');
    const rows = await db.select().from(towns).leftJoin(located, eq(located.who.id, towns.id)).where(eq(towns.id, 2));
    expect(rows).toEqual([
      { towns: { id: 2, name: 'Lima' }, located: { who: { id: 2, name: 'Bo' }, where: { town: 'Lima' } } },
    ]);
  });

  it('refuses to select every field of a $with subquery whose SQL fields have no alias', async () => {
    const { db } = await dbs.open(kind);
    const sq = db.$with('sq').as(db.select({ upper: sql<string>`upper(${towns.name})` }).from(towns));
    expect(() => db.select().from(sq).prepare()).toThrow();
  });

  it('refuses at prepare time to select a column of a table not in the query', async () => {
    const { db } = await dbs.open(kind);
    expect(() => db.select({ name: towns.name }).from(people).prepare()).toThrow();
  });

  it('reads views defined by query builder, by SQL and as existing', async () => {
    const { db } = await withTownsAndResidents();
    const inOslo = sqliteView('in_oslo').as((qb) => qb.select().from(residents).where(eq(residents.townId, 1)));
    const bySql = sqliteView('in_oslo', {
      id: integer('id'),
      name: text('name').notNull(),
      townId: integer('town_id'),
    }).as(sql`select * from ${residents} where ${eq(residents.townId, 1)}`);
    const existing = sqliteView('in_oslo', {
      id: integer('id'),
      name: text('name').notNull(),
      townId: integer('town_id'),
    }).existing();
    await db.run(sql`CREATE VIEW in_oslo AS ${getViewConfig(inOslo).query}`);
    const expected = [
      { id: 1, name: 'Ada', townId: 1 },
      { id: 6, name: 'Flo', townId: 1 },
      { id: 8, name: 'Hal', townId: 1 },
    ];
    expect(await db.select().from(inOslo)).toEqual(expected);
    expect(await db.select().from(bySql)).toEqual(expected);
    expect(await db.select().from(existing)).toEqual(expected);
    const sq = db.select().from(inOslo).as('oslo_sq');
    const joined = await db
      .select({ id: residents.id, osloId: sq.id })
      .from(residents)
      .leftJoin(sq, eq(residents.id, sq.id))
      .where(lt(residents.id, 3));
    expect(joined).toEqual([
      { id: 1, osloId: 1 },
      { id: 2, osloId: null },
    ]);
  });

  it('selects from raw SQL sources and joins on aliased SQL', async () => {
    const { db } = await dbs.open(kind);
    const rows = await db
      .select({
        id: sql<number>`u.id`,
        name: sql<string>`u.name`.as('user_name'),
        town: sql<string>`t.name`.as('town_name'),
      })
      .from(sql`(select 1 as id, 'Ada' as name) as u`)
      .leftJoin(sql`(select 1 as id, 'Oslo' as name) as t`, sql`t.id = u.id`);
    expect(rows).toEqual([{ id: 1, name: 'Ada', town: 'Oslo' }]);
  });

  it('combines queries with union, union all, intersect and except (builder and function forms)', async () => {
    const { db } = await withTownsAndResidents();
    const u = await db
      .select({ id: towns.id, name: towns.name })
      .from(towns)
      .union(db.select({ id: residents.id, name: residents.name }).from(residents))
      .orderBy(asc(sql`name`))
      .limit(3)
      .offset(2);
    expect(u).toEqual([
      { id: 3, name: 'Cy' },
      { id: 4, name: 'Di' },
      { id: 5, name: 'Ed' },
    ]);
    const ua = await unionAll(
      db.select({ id: towns.id }).from(towns).where(eq(towns.id, 1)),
      db.select({ id: residents.id }).from(residents).where(eq(residents.id, 1)),
    );
    expect(ua).toEqual([{ id: 1 }, { id: 1 }]);
    const both = await db
      .select({ id: towns.id })
      .from(towns)
      .intersect(db.select({ id: towns.id }).from(towns).where(gt(towns.id, 1)))
      .orderBy(desc(towns.id));
    expect(both).toEqual([{ id: 3 }, { id: 2 }]);
    expect(
      await intersect(
        db.select({ id: towns.id }).from(towns).where(eq(towns.id, 1)),
        db.select({ id: towns.id }).from(towns).where(eq(towns.id, 2)),
      ),
    ).toEqual([]);
    expect(
      await db
        .select()
        .from(towns)
        .except(db.select().from(towns).where(gt(towns.id, 1))),
    ).toEqual([{ id: 1, name: 'Oslo' }]);
    const mixed = await except(
      db.select({ id: residents.id }).from(residents).where(gte(residents.id, 5)),
      union(
        db.select({ id: residents.id }).from(residents).where(eq(residents.id, 7)),
        db.select({ id: towns.id }).from(towns),
      ),
    ).orderBy(asc(sql`id`));
    // SQLite's compound operators associate to the left: (5..8 EXCEPT 7) UNION 1..3.
    expect(mixed).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 5 }, { id: 6 }, { id: 8 }]);
    expect(() =>
      db
        .select({ name: towns.name, id: towns.id })
        .from(towns)
        .union(db.select({ id: residents.id, name: residents.name }).from(residents)),
    ).toThrow();
  });

  it("computes aggregate helpers with Drizzle's result types", async () => {
    const { db } = await dbs.open(kind);
    await db.insert(readings).values([
      { station: 's1', a: 5, b: 10, c: 20 },
      { station: 's1', a: 5, b: 20, c: 30 },
      { station: 's2', a: 10, b: 50, c: 60 },
      { station: 's3', a: 20, b: 20, c: null },
      { station: 's4', a: null, b: 90, c: 120 },
      { station: 's5', a: 80, b: 10, c: null },
      { station: 's6', a: null, b: null, c: 150 },
    ]);
    const [agg] = await db
      .select({
        all: count(),
        a: count(readings.a),
        stations: countDistinct(readings.station),
        avgA: avg(readings.a),
        avgNever: avg(readings.never),
        avgDistinctB: avgDistinct(readings.b),
        sumB: sum(readings.b),
        sumNever: sum(readings.never),
        sumDistinctB: sumDistinct(readings.b),
        maxB: max(readings.b),
        minB: min(readings.b),
        maxNever: max(readings.never),
      })
      .from(readings);
    expect(agg).toEqual({
      all: 7,
      a: 5,
      stations: 6,
      avgA: '24',
      avgNever: null,
      avgDistinctB: '42.5',
      sumB: '200',
      sumNever: null,
      sumDistinctB: '170',
      maxB: 90,
      minB: 10,
      maxNever: null,
    });
  });

  it('counts with $count, alone, filtered and as a subquery', async () => {
    const { db } = await withTownsAndResidents();
    expect(await db.$count(residents)).toBe(8);
    expect(await db.$count(residents, eq(residents.townId, 3))).toBe(2);
    const rows = await db
      .select({ name: towns.name, people: db.$count(residents, eq(residents.townId, towns.id)) })
      .from(towns)
      .orderBy(towns.id);
    expect(rows).toEqual([
      { name: 'Oslo', people: 3 },
      { name: 'Lima', people: 3 },
      { name: 'Nara', people: 2 },
    ]);
  });

  it('honours limit 0 (no rows) and limit -1 (all rows)', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(people).values([{ name: 'Ada' }, { name: 'Bo' }]);
    expect(await db.select().from(people).limit(0)).toEqual([]);
    expect(await db.select().from(people).limit(-1)).toHaveLength(2);
  });

  it('returns undefined from get() when no row matches', async () => {
    const { db } = await dbs.open(kind);
    expect(await db.select().from(people).where(eq(people.id, 1)).get()).toBeUndefined();
    expect(await db.get(sql`select * from people`)).toBeUndefined();
  });

  it("builds the same SQL text as Drizzle's other SQLite drivers", async () => {
    const { db } = await dbs.open(kind);
    const { id, name } = getTableColumns(people);
    expect(db.select({ id, name }).from(people).groupBy(people.id).toSQL()).toEqual({
      sql: 'select "id", "name" from "people" group by "people"."id"',
      params: [],
    });
    expect(db.insert(towns).values({ name: 'Oslo' }).toSQL()).toEqual({
      sql: 'insert into "towns" ("id", "name") values (null, ?)',
      params: ['Oslo'],
    });
  });
});
