/**
 * The Prisma suite of `npm run bench`: the same Prisma Client queries on `PrismaWasmlite` (a local
 * wasmlite client) and on Prisma's own `@prisma/adapter-better-sqlite3`, in the same run.
 *
 * ```sh
 * node bench/run.mjs --only=none --suites=prisma --quick
 * ```
 *
 * Before timing, the suite generates a Prisma Client for its schema (Prisma 7, the `prisma-client`
 * generator, offline: `PRISMA_SCHEMA_ENGINE_BINARY` points at a stub) into `bench/.build/`, and
 * bundles it and `adapters/prisma/index.ts` with esbuild, so no TypeScript loader runs in a
 * timing. Each repetition starts one fresh `node` process per adapter (this file, as a child), in
 * alternating order; in it every workload first runs once untimed (JIT, WebAssembly tier-up, the
 * query compiler's caches) and then timed. Both databases are files in WAL mode with
 * `synchronous=NORMAL`; times are medians over the repetitions.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle } from '../bundle.mjs';
import { packageVersion, ROOT } from '../repository.mjs';
import { withTempDir } from '../temp-dir.mjs';
import {
  busyNote,
  chosenWorkloads,
  measurePeers,
  peopleAndPets,
  ratioRows,
  ratioTargets,
  serveChild,
  timeWorkloads,
} from '../peer-suite.mjs';

const ADAPTER_BUNDLE = 'bench/.build/prisma-adapter.mjs';
const CLIENT_DIR = 'bench/.build/prisma-client';
const CLIENT_BUNDLE = 'bench/.build/prisma-client.mjs';
const TARGET = 1.2;
const PEERS = ['better-sqlite3', 'wasmlite'];

const SIZES = {
  quick: {
    rows: 1_500,
    point: 1_000,
    range: 150,
    include: 100,
    group: 60,
    all: 4,
    insert: 200,
    batch: 600,
    update: 300,
    reps: 3,
  },
  full: {
    rows: 3_000,
    point: 3_000,
    range: 400,
    include: 250,
    group: 150,
    all: 8,
    insert: 600,
    batch: 2_000,
    update: 1_000,
    reps: 5,
  },
};

/** The workloads, in report order: [name, what it does]. */
/** @type {Array<[string, string]>} */
const WORKLOADS = [
  ['point', 'findUnique by id'],
  ['range', 'findMany: where, orderBy, take 50'],
  ['include', 'findMany take 20 by id, with include of a relation'],
  ['group', 'groupBy city with _count and _avg over the table (SQLite-bound)'],
  ['all', 'findMany of the whole table'],
  ['insert', 'create one row, autocommit'],
  ['batch', 'creates in one interactive $transaction'],
  ['update', 'update one row by id (increment)'],
];

const SCHEMA = `
generator client {
  provider     = "prisma-client"
  output       = "OUTPUT"
  runtime      = "nodejs"
  moduleFormat = "esm"
}

datasource db {
  provider = "sqlite"
}

model Person {
  id   Int    @id @default(autoincrement())
  name String
  age  Int
  city String
  pets Pet[]
}

model Pet {
  id      Int    @id @default(autoincrement())
  ownerId Int
  species String
  owner   Person @relation(fields: [ownerId], references: [id])
}

model Log {
  id  Int    @id @default(autoincrement())
  msg String
}
`;

const SCHEMA_SQL = [
  'CREATE TABLE "Person" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "age" INTEGER NOT NULL, "city" TEXT NOT NULL)',
  'CREATE TABLE "Pet" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "ownerId" INTEGER NOT NULL, "species" TEXT NOT NULL, CONSTRAINT "Pet_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "Person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE)',
  'CREATE INDEX "Pet_ownerId_idx" ON "Pet"("ownerId")',
  'CREATE TABLE "Log" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "msg" TEXT NOT NULL)',
];

// ---------------------------------------------------------------- child: one process, one adapter

async function openPrisma(peer, file) {
  const { PrismaClient } = await import(pathToFileURL(path.join(ROOT, CLIENT_BUNDLE)).href);
  let adapter;
  if (peer === 'wasmlite') {
    const { PrismaWasmlite } = await import(pathToFileURL(path.join(ROOT, ADAPTER_BUNDLE)).href);
    adapter = new PrismaWasmlite({ url: `file:${file}` });
  } else {
    const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
    adapter = new PrismaBetterSqlite3({ url: `file:${file}` });
  }
  const db = new PrismaClient({ adapter });
  await db.$queryRawUnsafe('PRAGMA journal_mode = wal');
  await db.$queryRawUnsafe('PRAGMA synchronous = normal');
  return db;
}

async function fill(db, rows) {
  for (const sql of SCHEMA_SQL) await db.$executeRawUnsafe(sql);
  for (const { people, pets } of peopleAndPets(rows)) {
    await db.person.createMany({ data: people });
    await db.pet.createMany({ data: pets });
  }
  await db.$executeRawUnsafe('ANALYZE');
}

/** Each workload: `run(db, size, pass)` → a checksum, the same for both adapters. */
const RUNS = {
  async point(db, s) {
    let sum = 0;
    for (let i = 0; i < s.point; i++)
      sum += (await db.person.findUnique({ where: { id: ((i * 7919) % s.rows) + 1 } })).age;
    return sum;
  },
  async range(db, s) {
    let sum = 0;
    for (let i = 0; i < s.range; i++) {
      const rows = await db.person.findMany({
        where: { id: { gt: (i * 31) % (s.rows - 50) } },
        orderBy: { id: 'asc' },
        take: 50,
        select: { id: true, name: true, age: true },
      });
      for (const row of rows) sum += row.age;
    }
    return sum;
  },
  async include(db, s) {
    let sum = 0;
    for (let i = 0; i < s.include; i++) {
      const rows = await db.person.findMany({
        where: { id: { gt: (i * 37) % (s.rows - 20) } },
        take: 20,
        orderBy: { id: 'asc' },
        include: { pets: true },
      });
      for (const row of rows) sum += row.pets.length + row.age;
    }
    return sum;
  },
  async group(db, s) {
    let sum = 0;
    for (let i = 0; i < s.group; i++) {
      const groups = await db.person.groupBy({
        by: ['city'],
        where: { age: { gte: i % 60 } },
        _count: { _all: true },
        _avg: { age: true },
        orderBy: { city: 'asc' },
      });
      for (const g of groups) sum += g._count._all;
    }
    return sum;
  },
  async all(db, s) {
    let sum = 0;
    for (let i = 0; i < s.all; i++) for (const row of await db.person.findMany()) sum += row.age;
    return sum;
  },
  async insert(db, s, pass) {
    for (let i = 0; i < s.insert; i++) await db.log.create({ data: { msg: `${pass} ${i}` } });
    return s.insert;
  },
  async batch(db, s, pass) {
    await db.$transaction(
      async (tx) => {
        for (let i = 0; i < s.batch; i++) await tx.log.create({ data: { msg: `batch ${pass} ${i}` } });
      },
      { timeout: 120_000 },
    );
    return s.batch;
  },
  async update(db, s) {
    let changed = 0;
    for (let i = 0; i < s.update; i++) {
      await db.person.update({ where: { id: ((i * 104729) % s.rows) + 1 }, data: { age: { increment: 1 } } });
      changed++;
    }
    return changed;
  },
};

async function child({ peer, dir, size, keys }) {
  const db = await openPrisma(peer, path.join(dir, `${peer}.db`));
  try {
    await fill(db, size.rows);
    return await timeWorkloads(WORKLOADS, keys, (name, phase) => RUNS[name](db, size, phase));
  } finally {
    await db.$disconnect();
  }
}

await serveChild(import.meta.url, child);

// ---------------------------------------------------------------- parent: the suite

/** Generates the client (offline, stub schema engine) and bundles it; returns why it could not. */
async function buildClient() {
  const require = createRequire(import.meta.url);
  const out = path.join(ROOT, CLIENT_DIR);
  const failed = await withTempDir('prisma', (work) => {
    try {
      const stub = path.join(work, 'schema-engine');
      fs.writeFileSync(stub, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      const schema = path.join(work, 'schema.prisma');
      fs.writeFileSync(schema, SCHEMA.replace('"OUTPUT"', JSON.stringify(out)));
      fs.rmSync(out, { recursive: true, force: true });
      execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema], {
        cwd: work,
        stdio: 'pipe',
        env: {
          ...process.env,
          PRISMA_SCHEMA_ENGINE_BINARY: stub,
          CHECKPOINT_DISABLE: '1',
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
        },
      });
      return undefined;
    } catch (error) {
      const why = String(/** @type {any} */ (error).stderr ?? /** @type {Error} */ (error).message);
      return `prisma generate failed: ${why.trim().split('\n').pop()}`;
    }
  });
  return failed ?? bundle(`${CLIENT_DIR}/client.ts`, CLIENT_BUNDLE);
}

export default {
  title: 'Prisma: PrismaWasmlite vs @prisma/adapter-better-sqlite3',
  async run({ quick, reps, cases, log }) {
    const workloads = chosenWorkloads(WORKLOADS, cases);
    const missing = (await bundle('adapters/prisma/index.ts', ADAPTER_BUNDLE)) ?? (await buildClient());
    if (missing) throw new Error(`wasmlite/prisma: ${missing}`);
    const size = quick ? SIZES.quick : SIZES.full;
    const repetitions = reps ?? size.reps;
    const { times, busy } = await measurePeers({
      file: import.meta.url,
      name: 'prisma',
      peers: PEERS,
      keys: workloads.map(([w]) => w),
      size,
      repetitions,
      quietMs: 5_000,
      log,
    });
    const summary = ratioRows(times, workloads, 'adapters');
    const version = packageVersion('@prisma/client');
    const markdown = `Prisma Client ${version} (the \`prisma-client\` generator): the same queries on \`PrismaWasmlite\` (a local wasmlite client, bundled from \`adapters/prisma/index.ts\`) and on \`@prisma/adapter-better-sqlite3\`, files in WAL mode with \`synchronous=NORMAL\`, ${size.rows.toLocaleString('en-US')} people and pets; one fresh process per adapter and repetition, every workload once untimed first; medians of ${repetitions}. Ratio = wasmlite ÷ better-sqlite3 (lower is better).

| workload | what | better-sqlite3 (ms) | wasmlite (ms) | ratio |
| :-- | :-- | --: | --: | --: |
${summary.rows.join('\n')}
| **geometric mean** | | | | **${summary.geomean.toFixed(2)}×** |
${busyNote(busy)}`;
    return { markdown, targets: ratioTargets('Prisma', TARGET, summary) };
  },
};
