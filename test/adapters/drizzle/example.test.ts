/**
 * examples/drizzle runs as `npm run example:drizzle` does: applies its drizzle-kit migrations and
 * queries a local file and a replica, and runs again on the same files without applying a
 * migration twice or duplicating rows.
 */
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

function runExample(dir: string): string {
  const result = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'examples/drizzle/main.ts', dir],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.status).toBe(0);
  return result.stdout;
}

const EXPECTED = (label: string) => [
  `${label}: Ada Lovelace: Notes on the Analytical Engine [math]`,
  `${label}: Grace Hopper: The first compiler [compilers]`,
  `${label}: posts per author: Grace Hopper 2, Ada Lovelace 1`,
  `${label}: latest published: The first compiler (1952-05-01)`,
  `${label}: 3 posts, 3 tag links`,
];

describe('examples/drizzle', () => {
  it('migrates and queries a local file and a replica, and runs again on the same files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-drizzle-example-'));
    dirs.push(dir);
    const expected = [...EXPECTED('local'), ...EXPECTED('replica'), ''].join('\n');
    expect(runExample(dir)).toBe(expected);
    expect(fs.existsSync(path.join(dir, 'blog.db'))).toBe(true);
    expect(runExample(dir)).toBe(expected);
  });
});
