import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { usePrisma, type Db } from './support/fixture.ts';

const prisma = usePrisma();

/** Three users, four posts, three tags. */
async function seed(db: Db): Promise<void> {
  await db.user.create({
    data: {
      email: 'ada@example.com',
      name: 'Ada',
      age: 36,
      role: 'ADMIN',
      profile: { create: { bio: 'analyst' } },
      posts: {
        create: [
          { title: 'Notes', views: 10, published: true },
          { title: 'Engines', views: 3 },
        ],
      },
    },
  });
  await db.user.create({
    data: {
      email: 'alan@example.com',
      name: 'Alan',
      age: 41,
      posts: { create: [{ title: 'Machines', views: 7, published: true }] },
    },
  });
  await db.user.create({
    data: {
      email: 'grace@example.com',
      name: 'Grace',
      age: null,
      posts: { create: [{ title: 'Compilers', views: 5, published: true }] },
    },
  });
  await db.tag.createMany({ data: [{ name: 'math' }, { name: 'computing' }, { name: 'history' }] });
}

describe.each(CLIENT_KINDS)('Prisma on a %s client', (kind) => {
  it('creates, reads, updates and deletes a row', async () => {
    const { db } = await prisma.open(kind);
    const created = await db.user.create({ data: { email: 'ada@example.com', name: 'Ada' } });
    expect(created).toEqual({ id: expect.any(Number), email: 'ada@example.com', name: 'Ada', age: null, role: 'USER' });
    expect(await db.user.findUnique({ where: { id: created.id } })).toEqual(created);
    expect(await db.user.findUnique({ where: { email: 'nobody@example.com' } })).toBeNull();

    const updated = await db.user.update({
      where: { id: created.id },
      data: { name: 'Ada Lovelace', age: { increment: 36 } },
    });
    expect(updated).toMatchObject({ name: 'Ada Lovelace', age: null });
    await db.user.update({ where: { id: created.id }, data: { age: 36 } });
    expect((await db.user.update({ where: { id: created.id }, data: { age: { increment: 1 } } })).age).toBe(37);

    const upserted = await db.user.upsert({
      where: { email: 'alan@example.com' },
      create: { email: 'alan@example.com', name: 'Alan' },
      update: { name: 'x' },
    });
    expect(upserted.name).toBe('Alan');
    expect(
      (
        await db.user.upsert({
          where: { email: 'alan@example.com' },
          create: { email: 'alan@example.com', name: 'y' },
          update: { name: 'Alan T' },
        })
      ).name,
    ).toBe('Alan T');

    expect(await db.user.delete({ where: { id: created.id } })).toMatchObject({ email: 'ada@example.com' });
    expect(await db.user.count()).toBe(1);
  });

  it('creates, updates and deletes many rows and reports the counts', async () => {
    const { db } = await prisma.open(kind);
    expect(
      await db.user.createMany({ data: ['a', 'b', 'c'].map((n) => ({ email: `${n}@example.com`, name: n, age: 20 })) }),
    ).toEqual({ count: 3 });
    const returned = await db.user.createManyAndReturn({
      data: [
        { email: 'd@example.com', name: 'd' },
        { email: 'e@example.com', name: 'e' },
      ],
    });
    expect(returned.map((u: { name: string }) => u.name)).toEqual(['d', 'e']);
    expect(await db.user.updateMany({ where: { name: { in: ['a', 'b'] } }, data: { age: { increment: 1 } } })).toEqual({
      count: 2,
    });
    const renamed = await db.user.updateManyAndReturn({
      where: { name: 'c' },
      data: { name: 'c2' },
      select: { name: true, age: true },
    });
    expect(renamed).toEqual([{ name: 'c2', age: 20 }]);
    expect(await db.user.findMany({ where: { age: 21 }, select: { name: true }, orderBy: { name: 'asc' } })).toEqual([
      { name: 'a' },
      { name: 'b' },
    ]);
    expect(await db.user.updateMany({ where: { name: 'nobody' }, data: { age: 1 } })).toEqual({ count: 0 });
    expect(await db.user.deleteMany({ where: { name: { startsWith: 'c' } } })).toEqual({ count: 1 });
    expect(await db.user.deleteMany()).toEqual({ count: 4 });
    expect(await db.user.findMany()).toEqual([]);
  });

  it('reads relations with include and select, nested to two levels', async () => {
    const { db } = await prisma.open(kind);
    await seed(db);
    const ada = await db.user.findUnique({
      where: { email: 'ada@example.com' },
      include: {
        profile: true,
        posts: { orderBy: { title: 'asc' }, select: { title: true, author: { select: { name: true } } } },
      },
    });
    expect(ada.profile).toMatchObject({ bio: 'analyst', userId: ada.id });
    expect(ada.posts).toEqual([
      { title: 'Engines', author: { name: 'Ada' } },
      { title: 'Notes', author: { name: 'Ada' } },
    ]);

    const counts = await db.user.findMany({
      orderBy: { id: 'asc' },
      select: { name: true, _count: { select: { posts: true } } },
    });
    expect(counts).toEqual([
      { name: 'Ada', _count: { posts: 2 } },
      { name: 'Alan', _count: { posts: 1 } },
      { name: 'Grace', _count: { posts: 1 } },
    ]);
    const withoutProfile = await db.user.findMany({
      where: { profile: { is: null } },
      select: { name: true },
      orderBy: { name: 'asc' },
    });
    expect(withoutProfile).toEqual([{ name: 'Alan' }, { name: 'Grace' }]);
  });

  it('runs nested writes: create, connect, connectOrCreate, disconnect, set, updateMany', async () => {
    const { db } = await prisma.open(kind);
    await seed(db);
    const post = await db.post.create({
      data: {
        title: 'Tagged',
        author: { connect: { email: 'alan@example.com' } },
        tags: {
          connect: [{ name: 'math' }, { name: 'history' }],
          connectOrCreate: { where: { name: 'logic' }, create: { name: 'logic' } },
        },
      },
      include: { tags: { orderBy: { name: 'asc' } }, author: true },
    });
    expect(post.author.name).toBe('Alan');
    expect(post.tags.map((t: { name: string }) => t.name)).toEqual(['history', 'logic', 'math']);

    const after = await db.post.update({
      where: { id: post.id },
      data: { tags: { disconnect: [{ name: 'math' }] } },
      include: { tags: { orderBy: { name: 'asc' } } },
    });
    expect(after.tags.map((t: { name: string }) => t.name)).toEqual(['history', 'logic']);
    const reset = await db.post.update({
      where: { id: post.id },
      data: { tags: { set: [{ name: 'computing' }] } },
      include: { tags: true },
    });
    expect(reset.tags.map((t: { name: string }) => t.name)).toEqual(['computing']);
    expect(
      await db.tag.findUnique({ where: { name: 'computing' }, include: { posts: { select: { title: true } } } }),
    ).toMatchObject({ posts: [{ title: 'Tagged' }] });

    await db.user.update({
      where: { email: 'alan@example.com' },
      data: { profile: { create: { bio: 'b' } }, posts: { updateMany: { where: {}, data: { views: 0 } } } },
    });
    expect(
      await db.post.findMany({ where: { author: { email: 'alan@example.com' } }, select: { views: true } }),
    ).toEqual([{ views: 0 }, { views: 0 }]);

    await db.post.delete({ where: { id: post.id } });
    expect(await db.tag.findUnique({ where: { name: 'computing' }, include: { posts: true } })).toMatchObject({
      posts: [],
    });
  });

  it('filters with comparisons, lists, strings, null, NOT/OR/AND and relation filters', async () => {
    const { db } = await prisma.open(kind);
    await seed(db);
    const names = async (where: object) =>
      (await db.user.findMany({ where, orderBy: { name: 'asc' }, select: { name: true } })).map(
        (u: { name: string }) => u.name,
      );
    expect(await names({ age: { gt: 36 } })).toEqual(['Alan']);
    expect(await names({ age: { gte: 36, lte: 41 } })).toEqual(['Ada', 'Alan']);
    expect(await names({ age: null })).toEqual(['Grace']);
    expect(await names({ age: { not: null } })).toEqual(['Ada', 'Alan']);
    expect(await names({ name: { in: ['Ada', 'Grace', 'Zed'] } })).toEqual(['Ada', 'Grace']);
    expect(await names({ name: { notIn: ['Ada'] } })).toEqual(['Alan', 'Grace']);
    expect(await names({ email: { contains: 'la' } })).toEqual(['Alan']);
    expect(await names({ name: { startsWith: 'A' }, NOT: { age: 41 } })).toEqual(['Ada']);
    expect(await names({ OR: [{ age: 41 }, { role: 'ADMIN' }] })).toEqual(['Ada', 'Alan']);
    expect(await names({ AND: [{ age: { gt: 1 } }, { email: { endsWith: '@example.com' } }] })).toEqual([
      'Ada',
      'Alan',
    ]);
    expect(await names({ posts: { some: { views: { gte: 7 } } } })).toEqual(['Ada', 'Alan']);
    expect(await names({ posts: { every: { published: true } } })).toEqual(['Alan', 'Grace']);
    expect(await names({ posts: { none: { published: false } } })).toEqual(['Alan', 'Grace']);
    const published = await db.post.findMany({
      where: { published: true, author: { is: { role: 'USER' } } },
      orderBy: { title: 'asc' },
      select: { title: true },
    });
    expect(published).toEqual([{ title: 'Compilers' }, { title: 'Machines' }]);
  });

  it('orders, paginates with skip/take and cursors, and selects distinct values', async () => {
    const { db } = await prisma.open(kind);
    await seed(db);
    const titles = (rows: Array<{ title: string }>) => rows.map((r) => r.title);
    expect(titles(await db.post.findMany({ orderBy: { views: 'desc' } }))).toEqual([
      'Notes',
      'Machines',
      'Compilers',
      'Engines',
    ]);
    expect(titles(await db.post.findMany({ orderBy: [{ published: 'asc' }, { title: 'desc' }] }))).toEqual([
      'Engines',
      'Notes',
      'Machines',
      'Compilers',
    ]);
    expect(titles(await db.post.findMany({ orderBy: { title: 'asc' }, skip: 1, take: 2 }))).toEqual([
      'Engines',
      'Machines',
    ]);
    const engines = await db.post.findFirst({ where: { title: 'Engines' } });
    expect(titles(await db.post.findMany({ cursor: { id: engines.id }, take: 2, orderBy: { title: 'asc' } }))).toEqual([
      'Engines',
      'Machines',
    ]);
    expect(
      titles(await db.post.findMany({ cursor: { id: engines.id }, skip: 1, take: 5, orderBy: { title: 'asc' } })),
    ).toEqual(['Machines', 'Notes']);
    expect(titles(await db.post.findMany({ orderBy: { title: 'asc' }, take: -2 }))).toEqual(['Machines', 'Notes']);
    const byAuthorCount = await db.user.findMany({
      orderBy: [{ posts: { _count: 'desc' } }, { name: 'asc' }],
      select: { name: true },
    });
    expect(byAuthorCount.map((u: { name: string }) => u.name)).toEqual(['Ada', 'Alan', 'Grace']);
    const nullsLast = await db.user.findMany({
      orderBy: { age: { sort: 'asc', nulls: 'last' } },
      select: { name: true },
    });
    expect(nullsLast.map((u: { name: string }) => u.name)).toEqual(['Ada', 'Alan', 'Grace']);
    const distinct = await db.post.findMany({
      distinct: ['published'],
      orderBy: { published: 'asc' },
      select: { published: true },
    });
    expect(distinct).toEqual([{ published: false }, { published: true }]);
  });

  it('computes aggregates and groupBy with having', async () => {
    const { db } = await prisma.open(kind);
    await seed(db);
    const agg = await db.post.aggregate({
      _count: { _all: true },
      _sum: { views: true },
      _avg: { views: true },
      _min: { views: true, title: true },
      _max: { views: true },
    });
    expect(agg).toEqual({
      _count: { _all: 4 },
      _sum: { views: 25 },
      _avg: { views: 6.25 },
      _min: { views: 3, title: 'Compilers' },
      _max: { views: 10 },
    });
    expect(await db.user.aggregate({ _avg: { age: true }, _count: { age: true } })).toEqual({
      _avg: { age: 38.5 },
      _count: { age: 2 },
    });
    expect(await db.post.aggregate({ where: { id: -1 }, _sum: { views: true }, _count: true })).toEqual({
      _sum: { views: null },
      _count: 0,
    });

    const groups = await db.post.groupBy({
      by: ['published'],
      _count: { _all: true },
      _sum: { views: true },
      orderBy: { published: 'asc' },
    });
    expect(groups).toEqual([
      { published: false, _count: { _all: 1 }, _sum: { views: 3 } },
      { published: true, _count: { _all: 3 }, _sum: { views: 22 } },
    ]);
    const busy = await db.post.groupBy({
      by: ['authorId'],
      _count: { id: true },
      having: { id: { _count: { gt: 1 } } },
    });
    expect(busy).toHaveLength(1);
    expect(busy[0]._count.id).toBe(2);
  });

  it("binds up to SQLite's 32766 parameters in one statement, and Prisma refuses more (P2029)", async () => {
    const { db } = await prisma.open(kind);
    await db.tag.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ name: `t${i}` })) });
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    expect(await db.tag.count({ where: { id: { in: ids(32_000) } } })).toBe(50);
    expect(await db.tag.findMany({ where: { id: { in: ids(32_000) } } })).toHaveLength(50);
    await expect(db.tag.count({ where: { id: { in: ids(40_000) } } })).rejects.toMatchObject({ code: 'P2029' });
  });

  it('sees its own writes at once and sees writes made through another Prisma Client', async () => {
    const fixture = await prisma.open(kind);
    const other = fixture.another();
    await fixture.db.user.create({ data: { email: 'a@example.com', name: 'A' } });
    expect(await fixture.db.user.count()).toBe(1);
    await other.user.create({ data: { email: 'b@example.com', name: 'B' } });
    expect(await other.user.count()).toBe(2);
    await expect.poll(() => fixture.db.user.count()).toBe(2);
  });
});

describe('Prisma on a replica client', () => {
  it('reads from the local replica and writes on the primary', async () => {
    const { db, clients } = await prisma.open('replica');
    await db.user.create({ data: { email: 'a@example.com', name: 'A' } });
    const before = await clients.primaryRequests();
    for (let i = 0; i < 5; i++) expect(await db.user.findMany({ include: { posts: true } })).toHaveLength(1);
    expect(await db.user.count()).toBe(1);
    expect(await clients.primaryRequests()).toBe(before + 1); // the count request itself
    await db.user.update({ where: { email: 'a@example.com' }, data: { name: 'B' } });
    expect(await clients.primaryRequests()).toBeGreaterThan(before);
    expect(await clients.client.execute('SELECT name FROM "User"').then((rs) => rs.rows[0]!.name)).toBe('B');
  });
});
