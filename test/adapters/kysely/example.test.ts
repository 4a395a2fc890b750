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

/** Runs examples/kysely/main.ts as `npm run example:kysely` does, on a database in `dir`. */
function runExample(dir: string): string {
  const result = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'examples/kysely/main.ts', dir],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

describe('examples/kysely', () => {
  it('migrates, writes and queries through wasmlite/kysely, and runs again on the same file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-kysely-example-'));
    dirs.push(dir);
    const first = runExample(dir);
    expect(first).toContain('migrations: 0001-create-tables Success');
    expect(first).toContain('since 1970: The Dispossessed (1974) by Ursula K. Le Guin');
    expect(first).toContain('Stanisław Lem: Solaris, The Cyberiad');
    expect(first).toContain('Ursula K. Le Guin has 2 books here, the first from 1968');
    expect(first).toContain('The Dispossessed has been borrowed 2 times');
    expect(first).toContain('streamed every title: 62 characters in all');
    expect(fs.existsSync(path.join(dir, 'library.db'))).toBe(true);

    const second = runExample(dir);
    expect(second).toContain('migrations: up to date');
    expect(second.split('\n').slice(1)).toEqual(first.split('\n').slice(1));
  });
});
