// Prisma on wasmlite: `npm run example:prisma` (optionally followed by a directory for the files).
// Generates the client (setup.ts), applies ./migrations, then runs a few queries on a local file —
// nested create, include, filter and order, an interactive transaction, an aggregate with
// Decimal, groupBy — and the same on a replica of a wasmlite primary: the migrations and the
// writes run on the primary, the reads on the local replica.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'wasmlite';
import { PrismaWasmlite } from 'wasmlite/prisma';
import { startPrimary } from 'wasmlite/replication';
import { applyMigrations, generateClient } from './setup.ts';

const dir = process.argv[2] ?? join(import.meta.dirname, '..', '..', '.tmp', 'prisma-example');
mkdirSync(dir, { recursive: true });

// Loaded by path: the generated client is not committed, so a static import would not compile
// before the first run. In your project: import { PrismaClient } from './generated/client.ts'.
const clientFile: string = generateClient();
const { PrismaClient } = await import(clientFile);

// --- A local database file -----------------------------------------------------------------
// One wasmlite client for the migrations and for Prisma (integers as bigints, as Prisma needs).
const local = createClient({ url: `file:${join(dir, 'library.db')}`, intMode: 'bigint' });
const prisma = new PrismaClient({ adapter: new PrismaWasmlite(local) });
try {
  const migrated = await applyMigrations(local);
  await prisma.author.deleteMany(); // start from the same rows on every run (books cascade)

  const le = await prisma.author.create({
    data: {
      email: 'ursula@example.com',
      name: 'Ursula K. Le Guin',
      books: {
        create: [
          { title: 'A Wizard of Earthsea', year: 1968, price: '9.99' },
          { title: 'The Dispossessed', year: 1974, price: '12.50' },
        ],
      },
    },
    include: { books: true },
  });
  console.log(`created ${le.name} with ${le.books.length} books`);

  await prisma.$transaction(async (tx: typeof prisma) => {
    const author = await tx.author.create({ data: { email: 'octavia@example.com', name: 'Octavia E. Butler' } });
    await tx.book.createMany({
      data: [
        { title: 'Kindred', year: 1979, price: '11.00', authorId: author.id },
        { title: 'Parable of the Sower', year: 1993, price: '10.25', authorId: author.id },
      ],
    });
  });

  const seventies = await prisma.book.findMany({
    where: { year: { gte: 1970, lt: 1980 } },
    orderBy: { year: 'asc' },
    select: { title: true, year: true, author: { select: { name: true } } },
  });
  console.log(
    '1970s:',
    seventies
      .map((b: { title: string; year: number; author: { name: string } }) => `${b.title} (${b.year}, ${b.author.name})`)
      .join('; '),
  );

  const { _sum, _avg } = await prisma.book.aggregate({ _sum: { price: true }, _avg: { year: true } });
  console.log(`total price ${_sum.price.toString()}, average year ${_avg.year}`);

  const perAuthor = await prisma.book.groupBy({
    by: ['authorId'],
    _count: { _all: true },
    orderBy: { authorId: 'asc' },
  });
  console.log('books per author:', perAuthor.map((g: { _count: { _all: number } }) => g._count._all).join(', '));
  console.log(`local migrations: ${migrated}`);
} finally {
  await prisma.$disconnect();
  local.close(); // the adapter does not close a client it was given
}

// --- A replica of a wasmlite primary ----------------------------------------------------------
const primaryFile = join(dir, 'primary.db');
const replicaFile = join(dir, 'replica.db');
for (const file of [primaryFile, replicaFile]) rmSync(file + '-log', { recursive: true, force: true });
for (const file of [primaryFile, replicaFile])
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
const primary = await startPrimary({ path: primaryFile, port: 0 });
const replicaClient = createClient({ url: `file:${replicaFile}`, syncUrl: primary.url, intMode: 'bigint' });
const replica = new PrismaClient({ adapter: new PrismaWasmlite(replicaClient) });
try {
  console.log(`replica migrations: ${await applyMigrations(replicaClient)}`); // run on the primary
  const author = await replica.author.create({
    data: {
      email: 'stanislaw@example.com',
      name: 'Stanisław Lem',
      books: { create: { title: 'Solaris', year: 1961, price: '8.75' } },
    },
  });
  // Read your writes: this read runs on the local replica, after it has applied the create.
  const read = await replica.author.findUnique({ where: { id: author.id }, include: { books: true } });
  console.log(`replica read: ${read.name}, ${read.books[0].title} (primary at ${primary.position()})`);
} finally {
  await replica.$disconnect();
  await replicaClient.close();
  await primary.close();
}
