import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { libsqlConformance } from './libsql-conformance.ts';

const temp = useTempDir();
let n = 0;

libsqlConformance('local client', async () => {
  const url = `file:${path.join(temp.dir, `db${n++}.db`)}`;
  const client = createClient({ url });
  await client.execute('CREATE TABLE t (x INTEGER PRIMARY KEY)');
  return { client, reopen: async () => createClient({ url }) };
});

describe('libSQL conformance, local client busy handling', () => {
  it('without a timeout a locked database fails at once; with one, the busy handler waits it out', async () => {
    const url = `file:${path.join(temp.dir, `busy${n++}.db`)}`;
    const holder = temp.track(createClient({ url }));
    await holder.execute('CREATE TABLE t (x)');
    const tx = await holder.transaction('write');
    await tx.execute('INSERT INTO t VALUES (1)');
    const immediate = temp.track(createClient({ url }));
    let start = performance.now();
    await expect(immediate.execute('INSERT INTO t VALUES (2)')).rejects.toMatchObject({
      name: 'LibsqlError',
      code: 'SQLITE_BUSY',
    });
    expect(performance.now() - start).toBeLessThan(250);
    const patient = temp.track(createClient({ url, timeout: 300 }));
    start = performance.now();
    await expect(patient.execute('INSERT INTO t VALUES (3)')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(performance.now() - start).toBeGreaterThanOrEqual(280);
    expect((await patient.execute('PRAGMA busy_timeout')).rows[0]![0]).toBe(300);
    await tx.rollback();
  });
});
