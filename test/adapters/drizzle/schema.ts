/**
 * The tables the wasmlite/drizzle suites share, and the DDL that creates them (run as one
 * write batch, so a replica-mode test pays one round trip to the primary for its schema).
 */
import { sql } from 'drizzle-orm';
import { blob, integer, numeric, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const people = sqliteTable('people', {
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
  active: integer('active', { mode: 'boolean' }).notNull().default(false),
  tags: blob('tags', { mode: 'json' }).$type<string[]>(),
  joinedAt: integer('joined_at', { mode: 'timestamp' })
    .notNull()
    .default(sql`(unixepoch())`),
});

export const towns = sqliteTable('towns', {
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
});

export const residents = sqliteTable('residents', {
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
  townId: integer('town_id').references(() => towns.id),
});

export const sales = sqliteTable('sales', {
  id: integer('id').primaryKey(),
  region: text('region').notNull(),
  item: text('item')
    .notNull()
    .$default(() => 'unnamed'),
  amount: integer('amount').notNull(),
  units: integer('units').notNull(),
});

export const seats = sqliteTable(
  'seats',
  {
    row: integer('row').notNull(),
    label: text('label').notNull(),
    holder: text('holder').notNull(),
  },
  (t) => [primaryKey({ columns: [t.row, t.label] })],
);

export const readings = sqliteTable('readings', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  station: text('station').notNull(),
  a: integer('a'),
  b: integer('b'),
  c: integer('c'),
  never: integer('never'),
});

export const edits = sqliteTable('edits', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  title: text('title').notNull(),
  revision: integer('revision')
    .default(sql`1`)
    .$onUpdateFn(() => sql`revision + 1`),
  touchedAt: integer('touched_at', { mode: 'timestamp_ms' }).$onUpdate(() => new Date()),
  draft: text('draft')
    .$type<string | null>()
    .$onUpdate(() => null),
});

export const prices = sqliteTable('prices', {
  id: integer('id').primaryKey(),
  amount: numeric('amount').notNull(),
  ratio: real('ratio'),
  cheap: integer('cheap', { mode: 'boolean' }).notNull().default(false),
});

/** CREATE TABLE statements for every table above. */
export const CREATE_TABLES = [
  `CREATE TABLE people (id integer PRIMARY KEY, name text NOT NULL, active integer NOT NULL DEFAULT 0, tags blob,
     joined_at integer NOT NULL DEFAULT (unixepoch()))`,
  'CREATE TABLE towns (id integer PRIMARY KEY, name text NOT NULL)',
  'CREATE TABLE residents (id integer PRIMARY KEY, name text NOT NULL, town_id integer REFERENCES towns(id))',
  'CREATE TABLE sales (id integer PRIMARY KEY, region text NOT NULL, item text NOT NULL, amount integer NOT ' +
    'NULL, units integer NOT NULL)',
  'CREATE TABLE seats ("row" integer NOT NULL, label text NOT NULL, holder text NOT NULL, PRIMARY KEY ("row", label))',
  'CREATE TABLE readings (id integer PRIMARY KEY AUTOINCREMENT, station text NOT NULL, a integer, b integer, c ' +
    'integer, never integer)',
  `CREATE TABLE edits (id integer PRIMARY KEY AUTOINCREMENT, title text NOT NULL, revision integer DEFAULT 1, ` +
    `touched_at integer,
     draft text)`,
  'CREATE TABLE prices (id integer PRIMARY KEY, amount numeric NOT NULL, ratio real, cheap integer NOT NULL DEFAULT 0)',
];
