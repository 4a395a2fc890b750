import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { open } from '../../core/index.ts';
import { ownerLockPath } from '../../core/vfs/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();

/** One SELECT of about `bytes` of SQL text, giving the length of its string literal. */
function bigSelect(bytes: number): string {
  return `SELECT length('${'x'.repeat(bytes)}')`;
}

// This file runs first in its own engine, so each larger text grows the WebAssembly heap while
// SQLite compiles it: the case that once read a stale view of the old heap.
describe('SQL text of several megabytes', () => {
  it('prepares and runs, however much the heap grows meanwhile', async () => {
    const db = tmp.track(await open(':memory:'));
    for (const mib of [2, 4, 8, 16]) {
      const bytes = mib * 1024 * 1024;
      expect(db.prepare(bigSelect(bytes)).pluck().get()).toBe(bytes);
    }
  });

  it('refuses a second statement after a large first one with the RangeError, and leaks nothing', async () => {
    const file = tmp.file('big.db');
    const db = await open(file);
    const error = thrown(() => db.prepare(`${bigSelect(32 * 1024 * 1024)}; SELECT 2`));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('The supplied SQL string contains more than one statement');
    db.close();
    // A statement left unfinalized would keep the connection (and so its owner lock) alive.
    expect(fs.existsSync(ownerLockPath(file))).toBe(false);
  });
});
