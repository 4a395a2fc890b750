// Setup for the Prisma example: generate the client and create the tables.
//
// In your own project these are `npx prisma generate` and a migration. Here the client is
// generated offline (Prisma only needs its schema engine for migrations, so
// PRISMA_SCHEMA_ENGINE_BINARY may point at any executable) and the tables are created by the SQL
// that `prisma migrate diff --from-empty --to-schema schema.prisma --script` prints.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname;

/** The schema's tables (`IF NOT EXISTS`, so setup can run on every start). */
export const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS "Author" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS "Book" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "year" INTEGER NOT NULL,
    "price" DECIMAL NOT NULL, "authorId" INTEGER NOT NULL, "addedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Book_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "Author" ("id") ON DELETE CASCADE ON UPDATE CASCADE)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS "Author_email_key" ON "Author"("email")`,
];

/** Generates ./generated/client.ts from schema.prisma unless it is already newer than the schema. */
export function generateClient(): string {
  const schema = path.join(here, 'schema.prisma');
  const client = path.join(here, 'generated', 'client.ts');
  if (fs.existsSync(client) && fs.statSync(client).mtimeMs >= fs.statSync(schema).mtimeMs) return client;
  const stubDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prisma-engine-stub-'));
  const stub = path.join(stubDir, 'schema-engine');
  fs.writeFileSync(stub, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  try {
    const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
    execFileSync(process.execPath, [cli, 'generate', '--schema', schema], {
      stdio: 'pipe',
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
  } finally {
    fs.rmSync(stubDir, { recursive: true, force: true });
  }
  return client;
}

/** Creates the tables through any Prisma Client (statement by statement: on a replica each goes to the primary). */
export async function createTables(prisma: { $executeRawUnsafe(sql: string): Promise<number> }): Promise<void> {
  for (const sql of SCHEMA_SQL) await prisma.$executeRawUnsafe(sql);
}
