// Setup for the Prisma example: generate the client and apply the migrations.
//
// In your own project these are `npx prisma generate` and `npx wasmlite prisma migrate-deploy`
// (or `migrate()` as below). Here the client is generated offline (Prisma only needs its schema
// engine for migrations, so PRISMA_SCHEMA_ENGINE_BINARY may point at any executable), and
// ./migrations is what `prisma migrate dev` writes for schema.prisma.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'wasmlite';
import { migrate } from 'wasmlite/prisma';

const here = import.meta.dirname;

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
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: stub,
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
    });
  } finally {
    fs.rmSync(stubDir, { recursive: true, force: true });
  }
  return client;
}

/**
 * Applies ./migrations that the database has not had yet (on a replica client: on the primary)
 * and says which, as `npx wasmlite prisma migrate-deploy` would.
 */
export async function applyMigrations(client: Client): Promise<string> {
  const { appliedMigrationNames } = await migrate(client, { migrationsFolder: path.join(here, 'migrations') });
  return appliedMigrationNames.length === 0 ? 'no pending migrations' : `applied ${appliedMigrationNames.join(', ')}`;
}
