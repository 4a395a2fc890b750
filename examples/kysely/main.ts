// Kysely on wasmlite: `npm run example:kysely` (optionally followed by a directory for the file).
// A typed schema (schema.ts), a migration run by Kysely's Migrator, then a few queries: a
// transaction, a join, nested JSON, an aggregate, an upsert with RETURNING, and a stream.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, ParseJSONResultsPlugin, sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/sqlite';
import { Migrator } from 'kysely/migration';
import { WasmliteDialect } from 'wasmlite/kysely';
import * as createTables from './migrations/0001-create-tables.ts';
import type { Database, NewBook } from './schema.ts';

const dir = process.argv[2] ?? join(import.meta.dirname, '..', '..', '.tmp', 'kysely-example');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'library.db');

const db = new Kysely<Database>({
  dialect: new WasmliteDialect({ url: `file:${file}` }),
  // SQLite hands JSON back as text; the plugin parses what jsonArrayFrom builds.
  plugins: [new ParseJSONResultsPlugin()],
});

try {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ '0001-create-tables': createTables }) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  console.log(`migrations: ${results?.map((r) => `${r.migrationName} ${r.status}`).join(', ') || 'up to date'}`);

  // Start from the same rows on every run.
  await db.deleteFrom('book').execute();
  await db.deleteFrom('author').execute();

  const library: Array<{ name: string; born: number; books: Array<Omit<NewBook, 'author_id'>> }> = [
    {
      name: 'Ursula K. Le Guin',
      born: 1929,
      books: [
        { title: 'A Wizard of Earthsea', year: 1968 },
        { title: 'The Dispossessed', year: 1974 },
      ],
    },
    { name: 'Octavia E. Butler', born: 1947, books: [{ title: 'Kindred', year: 1979 }] },
    {
      name: 'Stanisław Lem',
      born: 1921,
      books: [
        { title: 'Solaris', year: 1961 },
        { title: 'The Cyberiad', year: 1965 },
      ],
    },
  ];
  await db.transaction().execute(async (trx) => {
    for (const { books, ...author } of library) {
      const { id } = await trx.insertInto('author').values(author).returning('id').executeTakeFirstOrThrow();
      await trx
        .insertInto('book')
        .values(books.map((book) => ({ ...book, author_id: id })))
        .execute();
    }
  });

  const seventies = await db
    .selectFrom('book')
    .innerJoin('author', 'author.id', 'book.author_id')
    .select(['book.title', 'book.year', 'author.name as author'])
    .where('book.year', '>=', 1970)
    .orderBy('book.year')
    .execute();
  for (const book of seventies) console.log(`since 1970: ${book.title} (${book.year}) by ${book.author}`);

  const authors = await db
    .selectFrom('author')
    .select((eb) => [
      'name',
      jsonArrayFrom(
        eb.selectFrom('book').select(['title', 'year']).whereRef('book.author_id', '=', 'author.id').orderBy('year'),
      ).as('books'),
    ])
    .orderBy('born')
    .execute();
  for (const author of authors) console.log(`${author.name}: ${author.books.map((b) => b.title).join(', ')}`);

  const perAuthor = await db
    .selectFrom('book')
    .innerJoin('author', 'author.id', 'book.author_id')
    .select((eb) => ['author.name', eb.fn.countAll<number>().as('books'), eb.fn.min('book.year').as('first')])
    .groupBy('author.id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .orderBy('author.name')
    .execute();
  for (const row of perAuthor) console.log(`${row.name} has ${row.books} books here, the first from ${row.first}`);

  // Borrow a book: insert it, or count one more loan if it is there.
  const borrow = (title: string) =>
    db
      .insertInto('book')
      .values((eb) => ({
        title,
        year: 1974,
        loans: 1,
        author_id: eb.selectFrom('author').select('id').where('name', '=', 'Ursula K. Le Guin'),
      }))
      .onConflict((oc) => oc.column('title').doUpdateSet((eb) => ({ loans: eb('book.loans', '+', 1) })))
      .returning(['title', 'loans'])
      .executeTakeFirstOrThrow();
  await borrow('The Dispossessed');
  const loaned = await borrow('The Dispossessed');
  console.log(`${loaned.title} has been borrowed ${loaned.loans} times`);

  let pages = 0;
  for await (const row of db
    .selectFrom('book')
    .select(sql<number>`length(title)`.as('chars'))
    .stream())
    pages += row.chars;
  console.log(`streamed every title: ${pages} characters in all`);
} finally {
  await db.destroy();
}
