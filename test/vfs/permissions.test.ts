import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open, type JournalMode } from '../../core/index.ts';

const child = path.join(import.meta.dirname, '..', 'support', 'permission-child.ts');
const NOBODY = 65534;
// Root ignores permission bits, so as root the child drops to nobody to see what a user sees. It
// drops after loading its code: the checkout may be in a directory nobody cannot enter.
const asRoot = process.getuid?.() === 0;

function openInChild(file: string, ...options: string[]): Record<string, unknown> {
  const user = asRoot ? `${NOBODY}:${NOBODY}` : '-';
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, file, user, ...options], {
    env: { ...process.env, HOME: path.dirname(file) },
    encoding: 'utf8',
  });
  const seen = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
  expect(seen.uid).toBe(asRoot ? NOBODY : process.getuid?.());
  return seen;
}

describe('files the process may not write', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-perm-'));
    // Writable for the child's user, so only the permission under test stands in its way.
    fs.chmodSync(dir, 0o777);
  });

  afterEach(() => {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function createDatabase(file: string, journalMode: JournalMode = 'delete'): Promise<void> {
    const db = await open(file, { journalMode });
    db.exec("CREATE TABLE t (v); INSERT INTO t VALUES ('kept')");
    db.close();
  }

  it('opens a file without write permission read-only: reads work, writes fail with SQLITE_READONLY', async () => {
    const file = path.join(dir, 'ro.db');
    await createDatabase(file);
    fs.chmodSync(file, 0o444);
    const before = fs.readFileSync(file);
    const seen = openInChild(file);
    expect(seen).toMatchObject({ rows: ['kept'] });
    expect(String(seen.write)).toMatch(/^SQLITE_READONLY/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('opens a database in a directory it may not write read-only, leaving no file behind', async () => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked);
    const file = path.join(locked, 'app.db');
    await createDatabase(file);
    fs.chmodSync(file, 0o644);
    fs.chmodSync(locked, 0o555);
    const seen = openInChild(file);
    expect(seen).toMatchObject({ rows: ['kept'] });
    expect(String(seen.write)).toMatch(/^SQLITE_READONLY/);
    expect(fs.readdirSync(locked)).toEqual(['app.db']);
  });

  it('opens a WAL database in a directory it may not write read-only, with or without readonly, no -wal', async () => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked);
    const file = path.join(locked, 'app.db');
    await createDatabase(file, 'wal');
    fs.chmodSync(file, 0o644);
    fs.chmodSync(locked, 0o555);
    for (const options of [['wal'], ['wal', 'readonly']]) {
      const seen = openInChild(file, ...options);
      expect(seen, options.join(' ')).toMatchObject({ rows: ['kept'], readonly: options[1] === 'readonly' });
      expect(String(seen.write)).toMatch(/^SQLITE_READONLY/);
    }
    expect(fs.readdirSync(locked)).toEqual(['app.db']);
  });
});
