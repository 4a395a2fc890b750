import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs examples/prisma/main.ts as `npm run example:prisma` does, with its files in `dir`. */
function runExample(dir: string): string {
  const result = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'examples/prisma/main.ts', dir],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.status).toBe(0);
  return result.stdout;
}

describe('examples/prisma', () => {
  it('generates its client, applies its migrations, queries a local file and a replica, runs again on them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-prisma-example-'));
    dirs.push(dir);
    const first = runExample(dir);
    expect(first).toContain('created Ursula K. Le Guin with 2 books');
    expect(first).toContain('1970s: The Dispossessed (1974, Ursula K. Le Guin); Kindred (1979, Octavia E. Butler)');
    expect(first).toContain('total price 43.74, average year 1978.5');
    expect(first).toContain('books per author: 2, 2');
    expect(first).toContain('local migrations: applied 20240101000000_init');
    expect(first).toContain('replica migrations: applied 20240101000000_init');
    // Two commits on the primary for the migrations (the history table, the migration), one for the create.
    expect(first).toMatch(/replica read: Stanisław Lem, Solaris \(primary at 0000000000000003\//);
    expect(fs.existsSync(path.join(dir, 'library.db'))).toBe(true);

    const second = runExample(dir);
    expect(second.split('\n').slice(0, 4)).toEqual(first.split('\n').slice(0, 4));
    expect(second).toContain('local migrations: no pending migrations');
  });
});
