/**
 * Relational queries (`db.query.*.findMany/findFirst` with `with`, columns, where, orderBy,
 * limit, extras) through wasmlite/drizzle, local and replica.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS, type ClientKind } from '../support/clients.ts';
import { authors, books, library, LIBRARY_TABLES, reviews } from './relations.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

async function openLibrary(kind: ClientKind) {
  const opened = await dbs.open(kind, { schema: library, tables: LIBRARY_TABLES });
  const { db } = opened;
  await db.insert(authors).values([
    { id: 1, name: 'Ursula' },
    { id: 2, name: 'Octavia', mentorId: 1 },
    { id: 3, name: 'Italo' },
  ]);
  await db.insert(books).values([
    { id: 1, title: 'Earthsea', authorId: 1, published: new Date('1968-01-01T00:00:00Z') },
    { id: 2, title: 'Dispossessed', authorId: 1 },
    { id: 3, title: 'Kindred', authorId: 2 },
  ]);
  await db.insert(reviews).values([
    { id: 1, bookId: 1, stars: 5 },
    { id: 2, bookId: 1, stars: 4, liked: false },
    { id: 3, bookId: 3, stars: 5 },
  ]);
  return opened;
}

describe.each(CLIENT_KINDS)('drizzle relational queries, %s client', (kind) => {
  it('finds many with nested relations, decoding column modes inside them', async () => {
    const { db } = await openLibrary(kind);
    const rows = await db.query.authors.findMany({
      orderBy: (a, { asc }) => asc(a.id),
      with: {
        books: { orderBy: (b, { asc }) => asc(b.id), with: { reviews: { columns: { stars: true, liked: true } } } },
      },
    });
    expect(rows).toEqual([
      {
        id: 1,
        name: 'Ursula',
        mentorId: null,
        books: [
          {
            id: 1,
            title: 'Earthsea',
            authorId: 1,
            published: new Date('1968-01-01T00:00:00Z'),
            reviews: [
              { stars: 5, liked: true },
              { stars: 4, liked: false },
            ],
          },
          { id: 2, title: 'Dispossessed', authorId: 1, published: null, reviews: [] },
        ],
      },
      {
        id: 2,
        name: 'Octavia',
        mentorId: 1,
        books: [{ id: 3, title: 'Kindred', authorId: 2, published: null, reviews: [{ stars: 5, liked: true }] }],
      },
      { id: 3, name: 'Italo', mentorId: null, books: [] },
    ]);
  });

  it('finds the first match with a one-relation, and undefined when nothing matches', async () => {
    const { db } = await openLibrary(kind);
    const octavia = await db.query.authors.findFirst({
      where: (a, { eq }) => eq(a.name, 'Octavia'),
      with: { mentor: { columns: { name: true } } },
    });
    expect(octavia).toEqual({ id: 2, name: 'Octavia', mentorId: 1, mentor: { name: 'Ursula' } });
    const ursula = await db.query.authors.findFirst({ where: (a, { eq }) => eq(a.id, 1), with: { mentor: true } });
    expect(ursula?.mentor).toBeNull();
    expect(await db.query.authors.findFirst({ where: (a, { eq }) => eq(a.id, 42) })).toBeUndefined();
  });

  it('selects columns, extras, limits and where on nested relations', async () => {
    const { db } = await openLibrary(kind);
    const rows = await db.query.books.findMany({
      columns: { title: true },
      extras: { shout: sql<string>`upper(${books.title})`.as('shout') },
      where: (b, { isNotNull }) => isNotNull(b.authorId),
      orderBy: (b, { desc }) => desc(b.id),
      limit: 2,
      with: {
        author: { columns: { name: true } },
        reviews: { where: (r, { eq }) => eq(r.stars, 5), columns: { id: true } },
      },
    });
    expect(rows).toEqual([
      { title: 'Kindred', shout: 'KINDRED', author: { name: 'Octavia' }, reviews: [{ id: 3 }] },
      { title: 'Dispossessed', shout: 'DISPOSSESSED', author: { name: 'Ursula' }, reviews: [] },
    ]);
  });

  it('runs prepared relational queries with placeholders', async () => {
    const { db } = await openLibrary(kind);
    const byAuthor = db.query.books
      .findMany({ columns: { id: true }, where: (b, { eq }) => eq(b.authorId, sql.placeholder('author')) })
      .prepare();
    expect(await byAuthor.execute({ author: 1 })).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await byAuthor.execute({ author: 3 })).toEqual([]);
    const one = db.query.reviews
      .findFirst({
        where: (r, { eq }) => eq(r.id, sql.placeholder('id')),
        with: { book: { columns: { title: true } } },
      })
      .prepare();
    expect(await one.execute({ id: 2 })).toEqual({
      id: 2,
      bookId: 1,
      stars: 4,
      liked: false,
      book: { title: 'Earthsea' },
    });
  });
});
