import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../../core/index.ts';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';

type ReplicaClientLike = Client & { readonly bookmark: string | undefined };

describe('replica client write transactions', () => {
  const temp = useTempDir();
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(transactionTimeoutMs?: number): Promise<{ primary: Primary; client: ReplicaClientLike }> {
    const primary = await startPrimary({ path: path.join(temp.dir, 'primary.db'), transactionTimeoutMs });
    cleanups.push(() => primary.close());
    const client = createClient({
      url: `file:${path.join(temp.dir, 'replica.db')}`,
      syncUrl: primary.url,
      readYourWritesTimeout: 5000,
      onReplicaLag: 'error',
    }) as ReplicaClientLike;
    cleanups.push(async () => {
      client.close();
      await new Promise((r) => setTimeout(r, 20));
    });
    await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    return { primary, client };
  }

  it('runs on the primary, and after the commit the client reads its writes locally', async () => {
    const { primary, client } = await setup();
    const tx = await client.transaction('write');
    const inserted = await tx.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['a'] });
    expect(inserted.lastInsertRowid).toBe(1n);
    const [, counted] = await tx.batch([
      { sql: 'INSERT INTO t (v) VALUES (?)', args: ['b'] },
      'SELECT count(*) AS n FROM t',
    ]);
    expect(counted!.rows[0]!.n).toBe(2);
    expect((await tx.execute('SELECT v FROM t ORDER BY id')).rows.map((r) => r.v)).toEqual(['a', 'b']);
    const before = client.bookmark;
    await tx.commit();
    expect(tx.closed).toBe(true);
    expect(client.bookmark).not.toBe(before);
    expect(client.bookmark).toBe(primary.position().toString());
    expect((await client.execute('SELECT v FROM t ORDER BY id')).rows.map((r) => r.v)).toEqual(['a', 'b']);
    await expect(tx.execute('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
  });

  it('leaves nothing after a rollback and keeps the bookmark', async () => {
    const { primary, client } = await setup();
    const position = primary.position().toString();
    const tx = await client.transaction('deferred');
    await tx.execute("INSERT INTO t (v) VALUES ('x')");
    await tx.rollback();
    await tx.rollback();
    expect(client.bookmark).toBe(position);
    expect(primary.position().toString()).toBe(position);
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
  });

  it("does not run the client's other calls inside the open transaction", async () => {
    const { client } = await setup();
    const tx = await client.transaction('write');
    await tx.execute("INSERT INTO t (id, v) VALUES (1, 'tx')");
    // A read is local and sees nothing uncommitted.
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
    // A write waits on the primary behind the transaction and lands after it.
    const outside = client.execute("INSERT INTO t (v) VALUES ('outside')");
    await new Promise((r) => setTimeout(r, 100));
    expect((await tx.execute('SELECT v FROM t ORDER BY id')).rows.map((r) => r.v)).toEqual(['tx']);
    await tx.commit();
    expect((await outside).lastInsertRowid).toBe(2n);
    expect((await client.execute('SELECT v FROM t ORDER BY id')).rows.map((r) => r.v)).toEqual(['tx', 'outside']);
  });

  it('reports an abandoned transaction as closed once the primary rolled it back', async () => {
    const { client } = await setup(300);
    const tx = await client.transaction('write');
    await tx.execute("INSERT INTO t (v) VALUES ('lost')");
    await new Promise((r) => setTimeout(r, 600));
    await expect(tx.execute('SELECT 1')).rejects.toMatchObject({ name: 'ClientError', code: 'TRANSACTION_CLOSED' });
    expect(tx.closed).toBe(true);
    await client.execute("INSERT INTO t (v) VALUES ('kept')");
    expect((await client.execute('SELECT v FROM t')).rows.map((r) => r.v)).toEqual(['kept']);
  });

  it('rolls back on close(), passes SQLite errors through and keeps going after them', async () => {
    const { client } = await setup();
    const tx = await client.transaction('write');
    await tx.execute("INSERT INTO t (id, v) VALUES (1, 'a')");
    await expect(tx.execute("INSERT INTO t (id, v) VALUES (1, 'b')")).rejects.toMatchObject({
      name: 'LibsqlError',
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
    });
    await tx.executeMultiple("INSERT INTO t (id, v) VALUES (2, 'x;y'); -- two;\n DELETE FROM t WHERE id = 2;");
    await expect(tx.executeMultiple('COMMIT')).rejects.toMatchObject({ code: 'PRIMARY_ERROR' });
    expect((await tx.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
    tx.close();
    expect(tx.closed).toBe(true);
    // The next write runs once the rollback reached the primary.
    await client.execute("INSERT INTO t (id, v) VALUES (1, 'c')");
    expect((await client.execute('SELECT v FROM t')).rows.map((r) => r.v)).toEqual(['c']);
    await expect(client.transaction('exclusive' as never)).rejects.toThrow(TypeError);
  });
});
