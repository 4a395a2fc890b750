import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { Position } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from './http.ts';

describe('interactive transactions on the primary', () => {
  const temp = useTempDir();
  let primary: Primary | undefined;
  afterEach(async () => {
    await primary?.close();
    primary = undefined;
  });

  async function start(extra: Partial<Parameters<typeof startPrimary>[0]> = {}): Promise<Primary> {
    primary = await startPrimary({ path: path.join(temp.dir, 'app.db'), ...extra });
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v)' });
    return primary;
  }

  const txid = (position: string): bigint => Position.parse(position).txid;
  const count = async (url: string): Promise<number> =>
    (await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows[0][0];

  it('commits what it ran as one transaction and answers the new position', async () => {
    const { url } = await start();
    const begun = await call(url, '/v1/transactions', { mode: 'write' });
    expect(begun.status).toBe(200);
    const { id } = begun.body;
    expect(typeof id).toBe('string');
    const inserted = await call(url, `/v1/transactions/${id}/execute`, {
      sql: 'INSERT INTO t (v) VALUES (?)',
      args: ['a'],
    });
    expect(inserted.body).toMatchObject({ rowsAffected: 1, lastInsertRowid: '1' });
    const batch = await call(url, `/v1/transactions/${id}/batch`, {
      statements: [{ sql: 'INSERT INTO t (v) VALUES (2)' }, { sql: 'SELECT count(*) FROM t' }],
    });
    expect(batch.body.results[1].rows).toEqual([[2]]);
    expect(primary!.position().txid).toBe(1n);
    const committed = await call(url, `/v1/transactions/${id}/commit`, undefined, undefined, '');
    expect(committed.status).toBe(200);
    expect(txid(committed.body.position)).toBe(2n);
    expect(committed.body.position).toBe(primary!.position().toString());
    expect(await count(url)).toBe(2);
    expect((await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT 1' })).body.error.code).toBe(
      'TRANSACTION_NOT_FOUND',
    );
  });

  it('leaves nothing and keeps the position after a rollback', async () => {
    const { url } = await start();
    const before = primary!.position().toString();
    const { id } = (await call(url, '/v1/transactions', {})).body;
    await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (v) VALUES (1)' });
    const rolledBack = await call(url, `/v1/transactions/${id}/rollback`, undefined, undefined, '');
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.position).toBe(before);
    expect(await count(url)).toBe(0);
    expect(primary!.position().toString()).toBe(before);
    expect((await call(url, `/v1/transactions/${id}/commit`, undefined, undefined, '')).status).toBe(404);
  });

  // libSQL's Transaction.batch keeps the statements before a failure (it asserted an all-or-nothing
  // batch inside the transaction before, which libSQL does not do).
  it('keeps the transaction open after a failed statement, and a failed batch keeps the statements before the failure', async () => {
    const { url } = await start();
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' })).body;
    await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (id, v) VALUES (1, 1)' });
    const duplicate = await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (id, v) VALUES (1, 2)' });
    expect(duplicate.body.error.code).toMatch(/^SQLITE_CONSTRAINT/);
    const batch = await call(url, `/v1/transactions/${id}/batch`, {
      statements: [{ sql: 'INSERT INTO t (id, v) VALUES (2, 2)' }, { sql: 'INSERT INTO t (id, v) VALUES (1, 3)' }],
    });
    expect(batch.status).toBe(400);
    expect(batch.body.error.statementIndex).toBe(1);
    expect((await call(url, `/v1/transactions/${id}/execute`, { sql: 'BEGIN' })).body.error.code).toBe(
      'TRANSACTION_CONTROL',
    );
    await call(url, `/v1/transactions/${id}/commit`, undefined, undefined, '');
    expect((await call(url, '/v1/execute', { sql: 'SELECT id, v FROM t ORDER BY id' })).body.rows).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  // A ROLLBACK statement inside the transaction is accepted now, as libSQL accepts it (it ends the transaction).
  it('nests savepoints inside a transaction and a batch, and refuses them (and COMMIT) where they would end or open one', async () => {
    const { url } = await start();
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' })).body;
    const run = async (sql: string) => (await call(url, `/v1/transactions/${id}/execute`, { sql })).status;
    expect(await run('INSERT INTO t (id, v) VALUES (1, 1)')).toBe(200);
    expect(await run('SAVEPOINT outer_sp')).toBe(200);
    expect(await run('INSERT INTO t (id, v) VALUES (2, 2)')).toBe(200);
    expect(await run('SAVEPOINT inner_sp')).toBe(200);
    expect(await run('INSERT INTO t (id, v) VALUES (3, 3)')).toBe(200);
    expect(await run('ROLLBACK TRANSACTION TO inner_sp')).toBe(200);
    expect(await run('RELEASE inner_sp')).toBe(200);
    expect(await run('/* still */ RELEASE SAVEPOINT outer_sp')).toBe(200);
    expect(await run('COMMIT')).toBe(400);
    expect(await run(';COMMIT')).toBe(400);
    await call(url, `/v1/transactions/${id}/commit`, undefined, undefined, '');
    expect((await call(url, '/v1/execute', { sql: 'SELECT id FROM t ORDER BY id' })).body.rows).toEqual([[1], [2]]);

    const batch = await call(url, '/v1/batch', {
      mode: 'write',
      statements: [
        { sql: 'SAVEPOINT b' },
        { sql: 'INSERT INTO t (id, v) VALUES (4, 4)' },
        { sql: 'ROLLBACK TO b' },
        { sql: 'RELEASE b' },
        { sql: 'INSERT INTO t (id, v) VALUES (5, 5)' },
      ],
    });
    expect(batch.status).toBe(200);
    expect((await call(url, '/v1/execute', { sql: 'SELECT id FROM t ORDER BY id' })).body.rows).toEqual([
      [1],
      [2],
      [5],
    ]);

    // Alone, a savepoint would open a transaction that outlives the request.
    const alone = await call(url, '/v1/execute', { sql: 'SAVEPOINT lonely' });
    expect(alone.status).toBe(400);
    expect(alone.body.error.message).toMatch(/inside a transaction only/);
    expect((await call(url, '/v1/execute', { sql: 'INSERT INTO t (id, v) VALUES (6, 6)' })).status).toBe(200);
    expect(await count(url)).toBe(4);
  });

  it('makes a write sent while a transaction is open wait, then land after the commit', async () => {
    const { url } = await start();
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' })).body;
    await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (id, v) VALUES (1, ?)', args: ['tx'] });
    let settled = false;
    const outside = call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (?)', args: ['outside'] }).finally(() => {
      settled = true;
    });
    const read = call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' });
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    // The transaction still sees only its own row: the queued write did not run inside it.
    expect(
      (await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT v FROM t ORDER BY id' })).body.rows,
    ).toEqual([['tx']]);
    const committed = await call(url, `/v1/transactions/${id}/commit`, undefined, undefined, '');
    const landed = await outside;
    expect(landed.status).toBe(200);
    expect(txid(landed.body.position)).toBe(txid(committed.body.position) + 1n);
    expect(landed.body.lastInsertRowid).toBe('2');
    // The read waited too: it saw the committed transaction, not a state in the middle of it.
    expect((await read).body.rows[0][0]).toBeGreaterThanOrEqual(1);
    expect((await call(url, '/v1/execute', { sql: 'SELECT v FROM t ORDER BY id' })).body.rows).toEqual([
      ['tx'],
      ['outside'],
    ]);
  });

  it('queues a second transaction behind the first', async () => {
    const { url } = await start();
    const first = (await call(url, '/v1/transactions', { mode: 'write' })).body.id;
    let secondId: string | undefined;
    const second = call(url, '/v1/transactions', { mode: 'write' }).then((r) => (secondId = r.body.id));
    await new Promise((r) => setTimeout(r, 100));
    expect(secondId).toBeUndefined();
    await call(url, `/v1/transactions/${first}/rollback`, undefined, undefined, '');
    await second;
    expect(secondId).not.toBe(first);
    expect((await call(url, `/v1/transactions/${secondId}/commit`, undefined, undefined, '')).status).toBe(200);
  });

  it('rolls an abandoned transaction back after the timeout; its id is then expired and others run', async () => {
    const { url } = await start({ transactionTimeoutMs: 300 });
    const before = primary!.position().toString();
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' })).body;
    await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (v) VALUES (1)' });
    const started = Date.now();
    const waiting = await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (2)' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(waiting.status).toBe(200);
    expect(txid(waiting.body.position)).toBe(txid(before) + 1n);
    expect((await call(url, '/v1/execute', { sql: 'SELECT v FROM t' })).body.rows).toEqual([[2]]);
    const late = await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT 1' });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('TRANSACTION_EXPIRED');
    expect((await call(url, `/v1/transactions/${id}/commit`, undefined, undefined, '')).body.error.code).toBe(
      'TRANSACTION_EXPIRED',
    );
  });

  it('keeps a transaction alive while it is used', async () => {
    const { url } = await start({ transactionTimeoutMs: 300 });
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' })).body;
    for (let i = 0; i < 5; i++) {
      expect(
        (await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (v) VALUES (?)', args: [i] })).status,
      ).toBe(200);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect((await call(url, `/v1/transactions/${id}/commit`, undefined, undefined, '')).status).toBe(200);
    expect(await count(url)).toBe(5);
  });

  it('answers 404 for an unknown id and 400 for a bad mode', async () => {
    const { url } = await start();
    const unknown = await call(url, '/v1/transactions/nope/execute', { sql: 'SELECT 1' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('TRANSACTION_NOT_FOUND');
    expect((await call(url, '/v1/transactions', { mode: 'exclusive' })).body.error.code).toBe('BAD_REQUEST');
    expect((await call(url, '/v1/transactions', { mode: 'write', extra: 1 })).status).toBe(400);
    // Nothing was left open: a write runs at once.
    expect((await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (1)' })).status).toBe(200);
  });

  it('lets a read token open only read transactions, which cannot write', async () => {
    primary = await startPrimary({ path: path.join(temp.dir, 'auth.db'), tokens: { write: ['w'], read: ['r'] } });
    const { url } = primary;
    await call(url, '/v1/execute', { sql: 'CREATE TABLE t (v)' }, 'w');
    expect((await call(url, '/v1/transactions', { mode: 'write' })).status).toBe(401);
    for (const mode of ['write', 'deferred', undefined]) {
      const refused = await call(url, '/v1/transactions', mode === undefined ? {} : { mode }, 'r');
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('READ_ONLY_TOKEN');
    }
    const { id } = (await call(url, '/v1/transactions', { mode: 'read' }, 'r')).body;
    expect(
      (await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT count(*) FROM t' }, 'r')).body.rows,
    ).toEqual([[0]]);
    expect((await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t VALUES (1)' }, 'r')).status).toBe(
      403,
    );
    expect((await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT 1' })).status).toBe(401);
    expect((await call(url, `/v1/transactions/${id}/commit`, undefined, 'r', '')).status).toBe(200);
    // A read transaction opened with a write token cannot write either.
    const readTx = (await call(url, '/v1/transactions', { mode: 'read' }, 'w')).body.id;
    expect(
      (await call(url, `/v1/transactions/${readTx}/execute`, { sql: 'INSERT INTO t VALUES (1)' }, 'w')).body.error.code,
    ).toBe('READ_ONLY_TOKEN');
    await call(url, `/v1/transactions/${readTx}/rollback`, {}, 'w');
    expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' }, 'w')).body.rows).toEqual([[0]]);
  });
});
