/**
 * Drizzle ORM on wasmlite: applies the drizzle-kit migrations in ./migrations, then runs a few
 * queries, first on a local file, then through a replica of a primary started here.
 *
 *   npm run example:drizzle [dir]     (files go to dir, default: a fresh temp directory)
 *
 * Running it again on the same directory applies no migration twice and adds no duplicate rows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { count, desc, eq } from 'drizzle-orm';
import { drizzle, type WasmliteDrizzle } from 'wasmlite/drizzle';
import { migrate } from 'wasmlite/drizzle/migrator';
import { startPrimary } from 'wasmlite/replication';
import * as schema from './schema.ts';

const { authors, posts, postTags, tags } = schema;
const migrationsFolder = path.join(import.meta.dirname, 'migrations');

async function seed(db: WasmliteDrizzle<typeof schema>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .insert(authors)
      .values([
        { id: 1, name: 'Ada Lovelace', email: 'ada@example.org' },
        { id: 2, name: 'Grace Hopper', email: 'grace@example.org' },
      ])
      .onConflictDoNothing();
    await tx
      .insert(tags)
      .values([
        { id: 1, label: 'math' },
        { id: 2, label: 'compilers' },
      ])
      .onConflictDoNothing();
    await tx
      .insert(posts)
      .values([
        {
          id: 1,
          authorId: 1,
          title: 'Notes on the Analytical Engine',
          body: '…',
          published: true,
          createdAt: new Date('1843-09-01T00:00:00Z'),
        },
        {
          id: 2,
          authorId: 2,
          title: 'The first compiler',
          body: '…',
          published: true,
          createdAt: new Date('1952-05-01T00:00:00Z'),
        },
        { id: 3, authorId: 2, title: 'Draft: COBOL', body: '…' },
      ])
      .onConflictDoNothing();
    await tx
      .insert(postTags)
      .values([
        { postId: 1, tagId: 1 },
        { postId: 2, tagId: 2 },
        { postId: 3, tagId: 2 },
      ])
      .onConflictDoNothing();
  });
}

async function report(label: string, db: WasmliteDrizzle<typeof schema>): Promise<void> {
  const withPosts = await db.query.authors.findMany({
    orderBy: (a, { asc }) => asc(a.id),
    with: {
      posts: {
        where: (p, { eq }) => eq(p.published, true),
        columns: { title: true },
        with: { tags: { with: { tag: true } } },
      },
    },
  });
  for (const a of withPosts) {
    const titles = a.posts.map((p) => `${p.title} [${p.tags.map((t) => t.tag.label).join(', ')}]`);
    console.log(`${label}: ${a.name}: ${titles.join('; ')}`);
  }
  const perAuthor = await db
    .select({ name: authors.name, posts: count(posts.id) })
    .from(authors)
    .leftJoin(posts, eq(posts.authorId, authors.id))
    .groupBy(authors.id)
    .orderBy(desc(count(posts.id)), authors.id);
  console.log(`${label}: posts per author: ${perAuthor.map((r) => `${r.name} ${r.posts}`).join(', ')}`);
  const latest = await db
    .select({ title: posts.title, at: posts.createdAt })
    .from(posts)
    .where(eq(posts.published, true))
    .orderBy(desc(posts.createdAt))
    .get();
  console.log(`${label}: latest published: ${latest?.title} (${latest?.at.toISOString().slice(0, 10)})`);
  console.log(`${label}: ${await db.$count(posts)} posts, ${await db.$count(postTags)} tag links`);
}

async function main(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });

  const local = drizzle({ connection: { url: `file:${path.join(dir, 'blog.db')}` }, schema });
  await migrate(local, { migrationsFolder });
  await seed(local);
  await report('local', local);
  local.$client.close();

  // Replica mode: migrations, writes and transactions run on the primary; reads on replica.db.
  const primary = await startPrimary({ path: path.join(dir, 'primary.db'), port: 0 });
  const replica = drizzle({
    connection: { url: `file:${path.join(dir, 'replica.db')}`, syncUrl: primary.url },
    schema,
  });
  try {
    await migrate(replica, { migrationsFolder });
    await seed(replica);
    await report('replica', replica);
  } finally {
    replica.$client.close();
    await primary.close();
  }
}

await main(process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-drizzle-example-')));
