/**
 * Generates a Prisma Client (Prisma 7, the `prisma-client` generator) for a schema, once per
 * schema content: `.generated/<hash>/client.ts` beside the schema's test folder (git-ignored).
 * Runs offline: `PRISMA_SCHEMA_ENGINE_BINARY` points at a stub executable, since generating needs
 * no engine. Concurrent callers (vitest runs files in parallel) each generate into their own
 * temporary folder and rename it into place; the first rename wins.
 *
 * ```ts
 * const dir = generatePrismaClient(schemaFile, generatedRoot);
 * const { PrismaClient } = await import(path.join(dir, 'client.ts'));
 * ```
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Writes an executable that does nothing, for `PRISMA_SCHEMA_ENGINE_BINARY`. */
function stubEngine(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-prisma-engine-'));
  const file = path.join(dir, 'schema-engine');
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
}

/** Generates (or finds) the client for `schemaFile` under `root`; returns the folder holding `client.ts`. */
export function generatePrismaClient(schemaFile: string, root: string): string {
  const cliPath = require.resolve('prisma/build/index.js');
  const cliVersion = (require('prisma/package.json') as { version: string }).version;
  const schema = fs.readFileSync(schemaFile, 'utf8');
  const hash = crypto.createHash('sha256').update(cliVersion).update(schema).digest('hex').slice(0, 16);
  const target = path.join(root, hash);
  if (fs.existsSync(path.join(target, 'client.ts'))) return target;

  fs.mkdirSync(root, { recursive: true });
  const work = fs.mkdtempSync(path.join(root, `tmp-${process.pid}-`));
  const engine = stubEngine();
  try {
    const out = path.join(work, 'client');
    const schemaCopy = path.join(work, 'schema.prisma');
    fs.writeFileSync(schemaCopy, schema.replace('"OUTPUT"', JSON.stringify(out)));
    execFileSync(process.execPath, [cliPath, 'generate', '--schema', schemaCopy], {
      cwd: work,
      stdio: 'pipe',
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: engine,
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
    });
    try {
      fs.renameSync(out, target);
    } catch (error) {
      // Another process renamed its copy first: use that one.
      if (!fs.existsSync(path.join(target, 'client.ts'))) throw error;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(path.dirname(engine), { recursive: true, force: true });
  }
  return target;
}
