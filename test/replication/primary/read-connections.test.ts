import { describe, expect, it } from 'vitest';
import { call } from './http.ts';
import { usePrimary } from './use-primary.ts';

const WRITE = 'write-token';
const OTHER_WRITE = 'other-write-token';
const READ = 'read-token';

describe("read tokens and read transactions on the primary's read-only connections", () => {
  const { start: startPrimary } = usePrimary();

  /** A primary whose idle transactions live long: a write stuck behind one would wait that long. */
  async function start(): Promise<string> {
    const primary = await startPrimary({
      tokens: { write: [WRITE, OTHER_WRITE], read: [READ] },
      transactionTimeoutMs: 20_000,
    });
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v)' }, WRITE);
    await call(primary.url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (1)' }, WRITE);
    return primary.url;
  }

  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const result = await work();
    return [result, performance.now() - started];
  };

  it('does not delay a write while a read transaction is open, and the reader keeps its snapshot', async () => {
    const url = await start();
    for (const token of [READ, WRITE]) {
      const { id } = (await call(url, '/v1/transactions', { mode: 'read' }, token)).body;
      const before = (await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT count(*) FROM t' }, token)).body
        .rows[0][0];
      const [write, ms] = await timed(() => call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (2)' }, WRITE));
      expect(write.status).toBe(200);
      expect(ms).toBeLessThan(2000);
      // WAL: the open read transaction still sees the database as of its first read.
      expect(
        (await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT count(*) FROM t' }, token)).body.rows,
      ).toEqual([[before]]);
      expect((await call(url, `/v1/transactions/${id}/commit`, undefined, token, '')).status).toBe(200);
      expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' }, READ)).body.rows).toEqual([
        [before + 1],
      ]);
    }
  });

  it('answers a read token at once while a write transaction holds the writer, with committed data only', async () => {
    const url = await start();
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' }, WRITE)).body;
    await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (v) VALUES (99)' }, WRITE);
    const [read, ms] = await timed(() => call(url, '/v1/execute', { sql: 'SELECT v FROM t ORDER BY id' }, READ));
    expect(read.body.rows).toEqual([[1]]);
    expect(ms).toBeLessThan(2000);
    const [batch] = await timed(() =>
      call(url, '/v1/batch', { statements: [{ sql: 'SELECT count(*) FROM t' }] }, READ),
    );
    expect(batch.body.results[0].rows).toEqual([[1]]);
    await call(url, `/v1/transactions/${id}/commit`, undefined, WRITE, '');
    expect((await call(url, '/v1/execute', { sql: 'SELECT v FROM t ORDER BY id' }, READ)).body.rows).toEqual([
      [1],
      [99],
    ]);
  });

  it('runs read transactions side by side, each on its own connection', async () => {
    const url = await start();
    const ids = await Promise.all(
      [0, 1, 2].map(async () => (await call(url, '/v1/transactions', { mode: 'read' }, READ)).body.id as string),
    );
    for (const id of ids)
      expect(
        (await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT count(*) FROM t' }, READ)).body.rows,
      ).toEqual([[1]]);
    await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (3)' }, WRITE);
    for (const id of ids) {
      expect(
        (await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT count(*) FROM t' }, READ)).body.rows,
      ).toEqual([[1]]);
      expect((await call(url, `/v1/transactions/${id}/rollback`, undefined, READ, '')).status).toBe(200);
    }
  });

  it('refuses a read transaction past the limit with 503 TOO_MANY_TRANSACTIONS, and takes one again once another ends', async () => {
    const url = await start();
    const ids: string[] = [];
    for (let i = 0; i < 64; i++) {
      const begun = await call(url, '/v1/transactions', { mode: 'read' }, READ);
      expect(begun.status).toBe(200);
      ids.push(begun.body.id);
    }
    const refused = await call(url, '/v1/transactions', { mode: 'read' }, READ);
    expect([refused.status, refused.body.error.code]).toEqual([503, 'TOO_MANY_TRANSACTIONS']);
    // Writes and a read token's statements go on meanwhile.
    expect((await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (2)' }, WRITE)).status).toBe(200);
    expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' }, READ)).body.rows).toEqual([[2]]);
    await call(url, `/v1/transactions/${ids.pop()}/rollback`, undefined, READ, '');
    expect((await call(url, '/v1/transactions', { mode: 'read' }, READ)).status).toBe(200);
  });

  it('answers 404 to any token but the one that began a transaction, and the owner carries on', async () => {
    const url = await start();
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' }, WRITE)).body;
    await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (v) VALUES (7)' }, WRITE);
    for (const token of [READ, OTHER_WRITE]) {
      for (const [action, body] of [
        ['execute', { sql: 'INSERT INTO t (v) VALUES (666)' }],
        ['batch', { statements: [{ sql: 'SELECT 1' }] }],
        ['commit', undefined],
        ['rollback', undefined],
      ] as const) {
        const answer = await call(
          url,
          `/v1/transactions/${id}/${action}`,
          body,
          token,
          body === undefined ? '' : undefined,
        );
        expect([answer.status, answer.body.error.code], `${action} with ${token}`).toEqual([
          404,
          'TRANSACTION_NOT_FOUND',
        ]);
      }
    }
    expect(
      (await call(url, `/v1/transactions/${id}/execute`, { sql: 'SELECT v FROM t ORDER BY id' }, WRITE)).body.rows,
    ).toEqual([[1], [7]]);
    expect((await call(url, `/v1/transactions/${id}/commit`, undefined, WRITE, '')).status).toBe(200);
    expect((await call(url, '/v1/execute', { sql: 'SELECT v FROM t ORDER BY id' }, READ)).body.rows).toEqual([
      [1],
      [7],
    ]);

    // A read transaction is its owner's too.
    const read = (await call(url, '/v1/transactions', { mode: 'read' }, READ)).body.id;
    expect((await call(url, `/v1/transactions/${read}/execute`, { sql: 'SELECT 1' }, WRITE)).status).toBe(404);
    expect((await call(url, `/v1/transactions/${read}/execute`, { sql: 'SELECT 1' }, READ)).status).toBe(200);
  });
});
