/**
 * A real generated Prisma Client on the wasmlite adapter, for each client kind of the shared
 * adapter fixture (`local`, `replica`). The tables are created by SQL (the DDL Prisma's schema
 * engine writes for `schema.prisma`), run through a wasmlite client, so no native engine is needed.
 *
 * ```ts
 * const prisma = usePrisma();
 * describe.each(CLIENT_KINDS)('%s client', (kind) => {
 *   it('creates a user', async () => {
 *     const { db } = await prisma.open(kind);
 *     await db.user.create({ data: { email: 'a@x', name: 'A' } });
 *   });
 * });
 * ```
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll } from 'vitest';
import {
  PrismaWasmlite,
  type PrismaWasmliteConfig,
  type PrismaWasmliteOptions,
} from '../../../../adapters/prisma/index.ts';
import { useClients, type ClientFixture, type ClientKind } from '../../support/clients.ts';
import { generatePrismaClient } from './generate.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The DDL of schema.prisma, as `prisma migrate diff --from-empty` prints it for SQLite, with one
 * deliberate drift: `Profile.bio` is optional in the schema but NOT NULL here, so that a
 * not-null violation (P2011) can get past the client's validation to the database.
 */
export const SCHEMA_SQL = [
  `CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT NOT ` +
    `NULL, "age" INTEGER, "role" TEXT NOT NULL DEFAULT 'USER')`,
  `CREATE TABLE "Profile" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "bio" TEXT NOT NULL, "userId" ` +
    `INTEGER NOT NULL,
    CONSTRAINT "Profile_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ` +
    `ON DELETE CASCADE ON UPDATE CASCADE)`,
  `CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "published" ` +
    `BOOLEAN NOT NULL DEFAULT false,
    "views" INTEGER NOT NULL DEFAULT 0, "authorId" INTEGER NOT NULL, ` +
    `"createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ` +
    `ON DELETE CASCADE ON UPDATE CASCADE)`,
  `CREATE TABLE "Tag" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL)`,
  `CREATE TABLE "Scalars" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "int" INTEGER, "bigInt" BIGINT, ` +
    `"float" REAL, "decimal" DECIMAL,
    "string" TEXT, "boolean" BOOLEAN, "dateTime" DATETIME, "json" JSONB, "bytes" BLOB, "role" TEXT)`,
  `CREATE TABLE "_PostToTag" ("A" INTEGER NOT NULL, "B" INTEGER NOT NULL,
    CONSTRAINT "_PostToTag_A_fkey" FOREIGN KEY ("A") REFERENCES "Post" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "_PostToTag_B_fkey" FOREIGN KEY ("B") REFERENCES "Tag" ("id") ON DELETE CASCADE ON UPDATE CASCADE)`,
  `CREATE UNIQUE INDEX "User_email_key" ON "User"("email")`,
  `CREATE UNIQUE INDEX "Profile_userId_key" ON "Profile"("userId")`,
  `CREATE UNIQUE INDEX "Post_authorId_title_key" ON "Post"("authorId", "title")`,
  `CREATE UNIQUE INDEX "Tag_name_key" ON "Tag"("name")`,
  `CREATE UNIQUE INDEX "_PostToTag_AB_unique" ON "_PostToTag"("A", "B")`,
  `CREATE INDEX "_PostToTag_B_index" ON "_PostToTag"("B")`,
];

// The generated client is loaded by path at run time: nothing generated is committed, so a
// static import would not typecheck in a fresh clone. Tests see it loosely typed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = any;

/** The generated module (`PrismaClient`, `Prisma`, enums). */
export interface Generated {
  PrismaClient: new (options: { adapter: PrismaWasmlite; transactionOptions?: object }) => Db;
  Prisma: {
    Decimal: new (value: string | number) => { toString(): string };
    PrismaClientKnownRequestError: new (...args: never[]) => Error;
  };
  Role: Record<string, string>;
}

let generated: Generated | undefined;

/** Generates the test client (once per schema content) and imports it. */
export async function loadGenerated(): Promise<Generated> {
  const dir = generatePrismaClient(path.join(here, 'schema.prisma'), path.join(here, '..', '.generated'));
  generated ??= (await import(path.join(dir, 'client.ts'))) as Generated;
  return generated;
}

/** What `usePrisma().open(kind)` gives a test. */
export interface PrismaFixture {
  /** The Prisma Client on a {@link PrismaWasmlite} adapter (local file, or replica of the fixture's primary). */
  readonly db: Db;
  /** The generated module. */
  readonly generated: Generated;
  /** The wasmlite client fixture that created the tables (the primary's data in replica mode). */
  readonly clients: ClientFixture;
  /** A second Prisma Client on the same data (another local client, or another replica). */
  another(options?: PrismaWasmliteOptions): Db;
}

/** Opens Prisma Clients for the calling test file; disconnects them (and closes their databases) after each test. */
export function usePrisma(): {
  open(
    kind: ClientKind,
    options?: PrismaWasmliteOptions,
    config?: Partial<PrismaWasmliteConfig>,
  ): Promise<PrismaFixture>;
} {
  const clients = useClients();
  const open: Db[] = [];
  beforeAll(async () => {
    await loadGenerated();
  }, 120_000);
  afterEach(async () => {
    for (const db of open.splice(0)) await db.$disconnect();
  });

  return {
    async open(kind, options, extra) {
      const gen = await loadGenerated();
      const fixture = await clients.open(kind);
      await fixture.client.batch(SCHEMA_SQL, 'write');
      let n = 0;
      const make = (more?: PrismaWasmliteOptions): Db => {
        const file = path.join(fixture.dir, `prisma-${n++}.db`);
        const config =
          kind === 'local'
            ? { url: `file:${fixture.file}` }
            : { url: `file:${file}`, syncUrl: fixture.primary!.url, bookmark: fixture.client.bookmark! };
        const db = new gen.PrismaClient({
          adapter: new PrismaWasmlite({ ...config, ...extra }, { ...options, ...more }),
        });
        open.push(db);
        return db;
      };
      return { db: make(), generated: gen, clients: fixture, another: make };
    },
  };
}
