import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrimary, type Primary, type PrimaryOptions } from '../../../replication/index.ts';
import { Position } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call, LogReader } from './http.ts';

/** Counts to `n` in SQLite's virtual machine: `SELECT x FROM c` yields n rows, no table needed. */
const counter = (n: number): string =>
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) `;
/** A statement that would run for minutes: a billion steps of a recursive CTE. */
const ENDLESS = `${counter(1e9)}SELECT count(*) FROM c`;

describe("the primary's limits", () => {
  const temp = useTempDir();
  let primary: Primary | undefined;
  const readers: LogReader[] = [];
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await primary?.close();
    primary = undefined;
  });

  async function start(extra: Partial<PrimaryOptions> = {}): Promise<string> {
    primary = await startPrimary({
      path: path.join(temp.dir, 'app.db'),
      tokens: { write: ['w'], read: ['r'] },
      ...extra,
    });
    const { url } = primary;
    expect((await call(url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v)' }, 'w')).status).toBe(
      200,
    );
    return url;
  }

  const count = async (url: string): Promise<number> =>
    (await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' }, 'r')).body.rows[0][0];
  const txid = (): bigint => primary!.position().txid;

  describe('response size', () => {
    it('answers a read of more rows than allowed with 400 RESPONSE_TOO_LARGE and keeps serving', async () => {
      const url = await start({ maxResponseRows: 1000 });
      // The attack that crashed the primary: three million rows with a read token.
      const huge = await call(url, '/v1/execute', { sql: `${counter(3e6)}SELECT x, 'some text' FROM c` }, 'r');
      expect(huge.status).toBe(400);
      expect(huge.body.error.code).toBe('RESPONSE_TOO_LARGE');
      expect(huge.body.error.message).toMatch(/more than 1000 rows/);
      const fits = await call(url, '/v1/execute', { sql: `${counter(1000)}SELECT x FROM c` }, 'r');
      expect(fits.status).toBe(200);
      expect(fits.body.rows).toHaveLength(1000);
      expect((await call(url, '/health')).status).toBe(200);
    });

    it('counts the bytes of the rows as they are read, over every statement of a batch', async () => {
      const url = await start({ maxResponseBytes: 100_000 });
      const big = await call(
        url,
        '/v1/execute',
        { sql: `${counter(100)}SELECT x, zeroblob(2000), printf('%.*c', 2000, 'é') FROM c` },
        'r',
      );
      expect(big.body.error?.code).toBe('RESPONSE_TOO_LARGE');
      expect(big.body.error.message).toMatch(/larger than 100000 bytes/);
      // Each half fits, both together do not: the limit is the answer's.
      const half = { sql: `${counter(30)}SELECT printf('%.*c', 1000, 'é') FROM c` };
      expect((await call(url, '/v1/batch', { statements: [half] }, 'r')).status).toBe(200);
      const both = await call(url, '/v1/batch', { statements: [half, half] }, 'r');
      expect(both.status).toBe(400);
      expect(both.body.error).toMatchObject({ code: 'RESPONSE_TOO_LARGE', statementIndex: 1 });
    });

    it('undoes a write whose RETURNING rows are too many, in autocommit and inside a transaction', async () => {
      const url = await start({ maxResponseRows: 100 });
      const before = txid();
      const positionBefore = primary!.position().toString();
      const refused = await call(
        url,
        '/v1/execute',
        { sql: `INSERT INTO t (v) ${counter(101)}SELECT randomblob(2000) FROM c RETURNING id` },
        'w',
      );
      expect(refused.body.error?.code).toBe('RESPONSE_TOO_LARGE');
      expect(await count(url)).toBe(0);
      // The rows grew the file, so page 1 changed and was restored: not even that empty
      // transaction was committed, the position (and so every byte) is the same.
      expect(primary!.position().toString()).toBe(positionBefore);
      expect(txid()).toBe(before);
      expect(
        (await call(url, '/v1/execute', { sql: `INSERT INTO t (v) ${counter(100)}SELECT x FROM c RETURNING id` }, 'w'))
          .body.rows,
      ).toHaveLength(100);

      const { id } = (await call(url, '/v1/transactions', { mode: 'write' }, 'w')).body;
      await call(url, `/v1/transactions/${id}/execute`, { sql: "INSERT INTO t (v) VALUES ('kept')" }, 'w');
      const inside = await call(
        url,
        `/v1/transactions/${id}/execute`,
        { sql: `UPDATE t SET v = 'changed' RETURNING id` },
        'w',
      );
      expect(inside.body.error?.code).toBe('RESPONSE_TOO_LARGE');
      // Only the statement was undone: the transaction and its first write go on.
      expect((await call(url, `/v1/transactions/${id}/commit`, undefined, 'w', '')).status).toBe(200);
      expect(await count(url)).toBe(101);
      const changed = await call(url, '/v1/execute', { sql: `SELECT count(*) FROM t WHERE v = 'changed'` }, 'r');
      expect(changed.body.rows).toEqual([[0]]);
    });
  });

  describe('statement timeout', () => {
    it('interrupts a long read with 400 STATEMENT_TIMEOUT, and /health answers once it is', async () => {
      const url = await start({ statementTimeoutMs: 300 });
      const started = performance.now();
      const long = call(url, '/v1/execute', { sql: ENDLESS }, 'r');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const health = await call(url, '/health');
      const healthMs = performance.now() - started;
      const answer = await long;
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('STATEMENT_TIMEOUT');
      expect(answer.body.error.message).toMatch(/300 ms/);
      expect(health.status).toBe(200);
      // The event loop was held for the timeout, not for the billion steps.
      expect(healthMs).toBeLessThan(5000);
      expect((await call(url, '/v1/execute', { sql: 'SELECT 1' }, 'r')).body.rows).toEqual([[1]]);
    });

    it('rolls an interrupted write back and logs nothing of it', async () => {
      const url = await start({ statementTimeoutMs: 300 });
      const reader = await LogReader.open(url, 1n, 'r');
      readers.push(reader);
      await reader.until(() => reader.records.length === 1);
      const before = txid();
      // Enough rows to spill pages into the WAL before the deadline.
      const write = await call(
        url,
        '/v1/execute',
        { sql: `INSERT INTO t (v) ${counter(1e9)}SELECT randomblob(100) FROM c` },
        'w',
      );
      expect(write.body.error?.code).toBe('STATEMENT_TIMEOUT');
      expect(await count(url)).toBe(0);
      expect(txid()).toBe(before);
      const next = await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (1)' }, 'w');
      expect(Position.parse(next.body.position).txid).toBe(before + 1n);
      await reader.until(() => reader.records.length === 2);
      // The record after the interrupted write continues the log and holds one page change set.
      expect(reader.records.map((r) => r.txid)).toEqual([1n, 2n]);
      expect(reader.records[1]!.preChecksum).toEqual(reader.records[0]!.postChecksum);
    });

    it('ends an interactive transaction whose write timed out (SQLite rolls it back) and a batch at the statement that did', async () => {
      const url = await start({ statementTimeoutMs: 300 });
      const { id } = (await call(url, '/v1/transactions', { mode: 'write' }, 'w')).body;
      await call(url, `/v1/transactions/${id}/execute`, { sql: 'INSERT INTO t (v) VALUES (1)' }, 'w');
      const timedOut = await call(
        url,
        `/v1/transactions/${id}/execute`,
        { sql: `INSERT INTO t (v) ${counter(1e9)}SELECT x FROM c` },
        'w',
      );
      expect(timedOut.body.error?.code).toBe('STATEMENT_TIMEOUT');
      expect((await call(url, `/v1/transactions/${id}/commit`, undefined, 'w', '')).body.error.code).toBe(
        'TRANSACTION_NOT_FOUND',
      );
      expect(await count(url)).toBe(0);

      const batch = await call(
        url,
        '/v1/batch',
        { statements: [{ sql: 'INSERT INTO t (v) VALUES (2)' }, { sql: ENDLESS }] },
        'w',
      );
      expect(batch.body.error).toMatchObject({ code: 'STATEMENT_TIMEOUT', statementIndex: 1 });
      expect(await count(url)).toBe(0);
    });

    it('bounds a script as a whole', async () => {
      const url = await start({ statementTimeoutMs: 300 });
      const script = await call(url, '/v1/script', { sql: `INSERT INTO t (v) VALUES (1); ${ENDLESS};` }, 'w');
      expect(script.body.error?.code).toBe('STATEMENT_TIMEOUT');
      // As sqlite3_exec does, what the script committed before the failing statement stays.
      expect(await count(url)).toBe(1);
    });
  });

  describe('statement arguments', () => {
    it("refuses a million arguments with 400 naming SQLite's limit, and a few too many with the count error", async () => {
      const url = await start();
      const million = await call(url, '/v1/execute', { sql: 'SELECT ?', args: new Array(1_000_000).fill(1) }, 'r');
      expect(million.status).toBe(400);
      expect(million.body.error.code).toBe('BAD_REQUEST');
      expect(million.body.error.message).toMatch(/at most 32766 values.*SQLITE_LIMIT_VARIABLE_NUMBER.*got 1000000/);
      const limit = await call(url, '/v1/execute', { sql: 'SELECT ?', args: new Array(32766).fill(1) }, 'r');
      expect(limit.status).toBe(400);
      expect(limit.body.error.message).toBe('Too many parameter values were provided');
      const named = await call(
        url,
        '/v1/execute',
        { sql: 'SELECT :a', args: Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`a${i}`, i])) },
        'r',
      );
      expect(named.body.error.message).toMatch(/at most 32766 values/);
      expect((await call(url, '/health')).status).toBe(200);
    });
  });

  it('refuses limits that are not positive integers', async () => {
    for (const key of ['statementTimeoutMs', 'maxResponseRows', 'maxResponseBytes'] as const) {
      await expect(startPrimary({ path: path.join(temp.dir, 'x.db'), [key]: 0 })).rejects.toThrow(
        `Expected the "${key}" option to be a positive integer`,
      );
    }
  });
});
