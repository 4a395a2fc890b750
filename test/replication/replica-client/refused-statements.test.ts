import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, ForbiddenActionError, LibsqlBatchError, LibsqlError, type Client } from '../../../core/index.ts';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { requestCount } from './helpers.ts';

describe('replica client: statements SQLite calls read-only that would change the connection', () => {
  const temp = useTempDir();
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(): Promise<{ primary: Primary; client: Client }> {
    const primary = await startPrimary({ path: path.join(temp.dir, 'primary.db') });
    cleanups.push(() => primary.close());
    const client = createClient({
      url: `file:${path.join(temp.dir, 'replica.db')}`,
      syncUrl: primary.url,
      readYourWritesTimeout: 5000,
    });
    cleanups.push(() => client.close());
    await client.executeMultiple(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent REFERENCES parent(id)); INSERT INTO parent VALUES (1);',
    );
    await client.execute('SELECT 1'); // the replica has caught up; later local reads do not wait
    return { primary, client };
  }

  async function refusal(call: Promise<unknown>): Promise<LibsqlError> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LibsqlError);
    return error as LibsqlError;
  }

  it('sends PRAGMA foreign_keys = OFF to the primary, which refuses it with SQLITE_AUTH, and foreign keys stay on', async () => {
    const { primary, client } = await setUp();
    const before = await requestCount(primary.url);
    const error = await refusal(client.execute('PRAGMA foreign_keys = OFF'));
    expect([error.code, error.rawCode]).toEqual(['SQLITE_AUTH', 23]);
    expect(error.cause).toBeInstanceOf(ForbiddenActionError);
    expect((error.cause as ForbiddenActionError).action).toBe('PRAGMA foreign_keys');
    expect(error.message).toMatch(/PRAGMA foreign_keys = OFF is refused/);
    // It went to the primary (one request, plus the /metrics request counting them).
    expect(await requestCount(primary.url)).toBe(before + 2);
    const orphan = await refusal(client.execute('INSERT INTO child VALUES (99)'));
    expect(orphan.extendedCode).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    // Reading the setting stays local.
    const reads = await requestCount(primary.url);
    expect((await client.execute('PRAGMA foreign_keys')).rows[0]![0]).toBe(1);
    expect((await client.execute('PRAGMA table_info(child)')).rows.map((r) => r.name)).toEqual(['parent']);
    expect(await requestCount(primary.url)).toBe(reads + 1);
  });

  it('refuses ATTACH and other setters the same way, alone or in a batch', async () => {
    const { client } = await setUp();
    expect((await refusal(client.execute(`ATTACH '${path.join(temp.dir, 'other.db')}' AS other`))).code).toBe(
      'SQLITE_AUTH',
    );
    expect((await refusal(client.execute('PRAGMA query_only = 1'))).code).toBe('SQLITE_AUTH');
    const batch = await refusal(client.batch(['SELECT 1', 'PRAGMA ignore_check_constraints = 1'], 'read'));
    expect(batch).toBeInstanceOf(LibsqlBatchError);
    expect([batch.code, (batch as LibsqlBatchError).statementIndex]).toEqual(['SQLITE_AUTH', 1]);
    expect((await client.execute('SELECT count(*) AS n FROM parent')).rows[0]!.n).toBe(1);
  });

  it('refuses them locally, with the same error, inside a local read transaction, which carries on', async () => {
    const { primary, client } = await setUp();
    const before = await requestCount(primary.url);
    const tx = await client.transaction('read');
    for (const sql of [
      'PRAGMA foreign_keys = OFF',
      'PRAGMA locking_mode = EXCLUSIVE',
      `ATTACH '${path.join(temp.dir, 'x.db')}' AS x`,
    ]) {
      const error = await refusal(tx.execute(sql));
      expect([error.code, (error.cause as ForbiddenActionError).constructor]).toEqual([
        'SQLITE_AUTH',
        ForbiddenActionError,
      ]);
    }
    expect((await tx.execute('SELECT count(*) AS n FROM parent')).rows[0]!.n).toBe(1);
    await tx.commit();
    // All of it ran on the replica: the only request the primary saw is the /metrics one.
    expect(await requestCount(primary.url)).toBe(before + 1);
    // The connection was left as it was: a second read transaction works, and writes still go through.
    const again = await client.transaction('read');
    expect((await again.execute('PRAGMA locking_mode')).rows[0]![0]).toBe('normal');
    await again.commit();
    await client.execute('INSERT INTO parent VALUES (2)');
    expect((await client.execute('SELECT count(*) AS n FROM parent')).rows[0]!.n).toBe(2);
  });
});
