// wasmlite on the other runtimes users run it on: Node 22 and 24, Bun and Deno, each installed from
// npm at a pinned version (test/runtimes/install). Each runs smoke.ts — the Database, the local
// Client, two replicas following a primary, Kysely — in its own process, on that runtime alone.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open } from '../../core/index.ts';
import { findRuntime, INSTALL_COMMAND, RUNTIMES } from './runtimes.mjs';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SMOKE = path.join(import.meta.dirname, 'smoke.ts');
const SMOKE_TIMEOUT_MS = 45_000;
// In CI a runtime that is not there fails the run: the point is to prove that each one works.
const CI = Boolean(process.env.CI) && process.env.CI !== 'false';

/** The version each runtime is pinned to in the runtimes' own package.json (`node22-linux-x64`: node 22's). */
function pinnedVersion(name: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'install', 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
    optionalDependencies: Record<string, string>;
  };
  const pins = Object.entries({ ...manifest.devDependencies, ...manifest.optionalDependencies });
  const spec = pins.find(([alias]) => alias === name || alias.startsWith(`${name}-`))![1];
  return /(\d+\.\d+\.\d+)$/.exec(spec)![1]!;
}

const engineVersion = async (): Promise<string> => {
  const db = await open(':memory:');
  try {
    return db.prepare('SELECT sqlite_version()').pluck().get() as string;
  } finally {
    db.close();
  }
};

describe('other runtimes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-runtime-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const spec of RUNTIMES) {
    const runtime = findRuntime(spec.name);
    if (!runtime && !CI) console.warn(`${spec.label} is not installed (${INSTALL_COMMAND}): its smoke run is skipped`);

    const title = `runs the Database, the Client, replicas of a primary and Kysely on ${spec.label}`;
    it.skipIf(!runtime && !CI)(title, async () => {
      if (!runtime) throw new Error(`${spec.label} is not installed: run ${INSTALL_COMMAND}`);
      const { stdout } = await promisify(execFile)(runtime.binary, [...runtime.typescript, SMOKE, dir], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: SMOKE_TIMEOUT_MS,
        // Only the flags above: not whatever the test runner put in NODE_OPTIONS for its own Node.
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      const seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        runtime: string;
        sqlite: string;
        bookmark: string;
      };
      const name = spec.name.startsWith('node') ? 'node' : spec.name;
      expect(seen.runtime).toBe(`${name} ${pinnedVersion(spec.name)}`);
      expect(seen.sqlite).toBe(await engineVersion());
      expect(seen.bookmark).toMatch(/^0000000000000002\/[0-9a-f]{16}$/);
    });
  }
});
