import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteError } from '../../../core/index.ts';
import { ownerLockPath } from '../../../core/vfs/owner-lock.ts';
import { startPrimary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from './http.ts';

describe('startPrimary on files it cannot serve, or left by a crash', () => {
  const temp = useTempDir();

  it('refuses a file that is not a database with SQLITE_NOTADB naming it, and leaves nothing behind', async () => {
    const file = path.join(temp.dir, 'notes.txt');
    const text = 'not a database, just notes\n'.repeat(200);
    fs.writeFileSync(file, text);
    const error = await startPrimary({ path: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteError);
    expect(error).toMatchObject({
      code: 'SQLITE_NOTADB',
      message: `${file} is not a database: file is not a database`,
    });
    expect(fs.readdirSync(temp.dir)).toEqual(['notes.txt']);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);

    // A log directory that was there before is the user's: it stays.
    const logDir = path.join(temp.dir, 'kept-log');
    fs.mkdirSync(logDir);
    fs.writeFileSync(path.join(logDir, 'README'), 'mine');
    await expect(startPrimary({ path: file, logDir })).rejects.toThrow(SqliteError);
    expect(fs.readFileSync(path.join(logDir, 'README'), 'utf8')).toBe('mine');
  });

  it('starts at once over an empty owner lock file, as a power cut leaves one', async () => {
    const file = path.join(temp.dir, 'app.db');
    const first = await startPrimary({ path: file });
    await call(first.url, '/v1/execute', { sql: 'CREATE TABLE t (v)' });
    await first.close();
    fs.writeFileSync(ownerLockPath(file), '');
    const started = performance.now();
    const primary = await startPrimary({ path: file });
    try {
      expect(performance.now() - started).toBeLessThan(5000);
      expect((await call(primary.url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows).toEqual([[0]]);
    } finally {
      await primary.close();
    }
  });
});
