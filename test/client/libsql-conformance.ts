/**
 * @libsql/client behaviours every wasmlite Client keeps, written once and run against a local
 * client and a replica client (test/replication/replica-client/libsql-conformance.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { LibsqlBatchError, LibsqlError, type Client } from '../../core/index.ts';
import { rejection } from '../database/thrown.ts';

/**
 * Makes a fresh client whose database has `CREATE TABLE t (x INTEGER PRIMARY KEY)`; `reopen` opens
 * the same database again (a replica client reading at least at `bookmark`).
 */
export type ConformanceSetup = () => Promise<{
  client: Client;
  reopen: (bookmark: string | undefined) => Promise<Client>;
}>;

async function xs(client: Client): Promise<number[]> {
  return (await client.execute('SELECT x FROM t ORDER BY x')).rows.map((r) => r.x as number);
}

export function libsqlConformance(name: string, setup: ConformanceSetup): void {
  describe(`libSQL conformance, ${name}`, () => {
    it('a failing script leaves no transaction open: later writes are kept and transactions start', async () => {
      const { client, reopen } = await setup();
      const error = await rejection(
        client.executeMultiple('BEGIN; INSERT INTO t VALUES (10); INSERT INTO missing VALUES (1); COMMIT;'),
      );
      expect(error).toBeInstanceOf(LibsqlError);
      expect(error).toMatchObject({ code: 'SQLITE_ERROR' });
      expect((await client.execute('INSERT INTO t VALUES (99)')).rowsAffected).toBe(1);
      const tx = await client.transaction('write');
      await tx.execute('INSERT INTO t VALUES (100)');
      await tx.commit();
      const { bookmark } = client;
      await client.close();
      const again = await reopen(bookmark);
      expect(await xs(again)).toEqual([99, 100]);
      await again.close();
    });

    it('a batch with a ROLLBACK in it fails with TRANSACTION_CLOSED and keeps nothing', async () => {
      const { client } = await setup();
      const error = await rejection(
        client.batch(['INSERT INTO t VALUES (1),(2),(3)', 'ROLLBACK', 'INSERT INTO t VALUES (4),(5)'], 'write'),
      );
      expect(error).toBeInstanceOf(LibsqlBatchError);
      expect(error).toMatchObject({ code: 'TRANSACTION_CLOSED', statementIndex: 1 });
      expect(await xs(client)).toEqual([]);
      await client.close();
    });

    it('a batch with a COMMIT in it (however written) fails with TRANSACTION_CLOSED and keeps nothing', async () => {
      const { client } = await setup();
      for (const commit of [';COMMIT', '/* end */ END TRANSACTION', 'commit']) {
        const error = await rejection(
          client.batch(['INSERT INTO t VALUES (1)', commit, 'INSERT INTO t VALUES (2)'], 'write'),
        );
        expect(error).toMatchObject({ name: 'LibsqlBatchError', code: 'TRANSACTION_CLOSED', statementIndex: 1 });
      }
      expect(await xs(client)).toEqual([]);
      await client.close();
    });

    it('a read batch that writes fails with SQLITE_READONLY at that statement and keeps nothing', async () => {
      const { client, reopen } = await setup();
      await client.execute('INSERT INTO t VALUES (1)');
      const error = await rejection(client.batch(['SELECT x FROM t', 'INSERT INTO t VALUES (2)'], 'read'));
      expect(error).toBeInstanceOf(LibsqlBatchError);
      expect(error).toMatchObject({ statementIndex: 1, code: 'SQLITE_READONLY', rawCode: 8 });
      const { bookmark } = client;
      await client.close();
      const again = await reopen(bookmark);
      expect(await xs(again)).toEqual([1]);
      await again.close();
    });

    it("refuses an empty statement and two statements in one string with better-sqlite3's RangeError", async () => {
      const { client } = await setup();
      for (const sql of ['', '  -- nothing', 'INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)']) {
        expect(await rejection(client.execute(sql))).toBeInstanceOf(RangeError);
        expect(await rejection(client.batch(['SELECT 1', sql], 'read'))).toBeInstanceOf(RangeError);
      }
      expect(await rejection(client.execute('SELECT 1; SELECT 2'))).toMatchObject({
        message: 'The supplied SQL string contains more than one statement',
      });
      expect(await xs(client)).toEqual([]);
      await client.close();
    });

    it("a batch failure is a LibsqlBatchError with the statement index and libSQL's codes", async () => {
      const { client } = await setup();
      const error = await rejection(
        client.batch(['INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)', 'INSERT INTO t VALUES (1)'], 'write'),
      );
      expect(error).toBeInstanceOf(LibsqlBatchError);
      expect(error).toMatchObject({
        statementIndex: 2,
        code: 'SQLITE_CONSTRAINT',
        extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
        rawCode: 1555,
      });
      expect(error.message).toMatch(/^SQLITE_CONSTRAINT: UNIQUE constraint failed: t\.x/);
      expect(await xs(client)).toEqual([]);
      await client.close();
    });

    it('rejects undefined, NaN and Infinity arguments as libSQL does, and binds nothing', async () => {
      const { client } = await setup();
      await expect(client.execute({ sql: 'INSERT INTO t VALUES (?)', args: [undefined as never] })).rejects.toThrow(
        TypeError,
      );
      await expect(client.execute({ sql: 'INSERT INTO t VALUES (?)', args: [Number.NaN] })).rejects.toThrow(RangeError);
      await expect(
        client.execute({ sql: 'INSERT INTO t VALUES (:x)', args: { x: Number.POSITIVE_INFINITY } }),
      ).rejects.toThrow(RangeError);
      expect(await xs(client)).toEqual([]);
      await client.close();
    });

    it('gives rows keyed by column, with non-enumerable indices', async () => {
      const { client } = await setup();
      await client.execute('INSERT INTO t VALUES (7)');
      const { rows } = await client.execute("SELECT x, 'a' AS name FROM t");
      expect(JSON.stringify(rows[0])).toBe('{"x":7,"name":"a"}');
      expect([rows[0]![0], rows[0]![1], rows[0]!.length]).toEqual([7, 'a', 2]);
      expect(Array.from(rows[0]!)).toEqual([7, 'a']);
      await client.close();
    });

    it('accepts a ROLLBACK statement inside a transaction: it ends the transaction', async () => {
      const { client } = await setup();
      const tx = await client.transaction('write');
      await tx.execute('INSERT INTO t VALUES (1)');
      await tx.execute('ROLLBACK');
      await expect(tx.execute('INSERT INTO t VALUES (2)')).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
      tx.close();
      await client.execute('INSERT INTO t VALUES (3)');
      expect(await xs(client)).toEqual([3]);
      await client.close();
    });

    it('a read issued after a write that is not awaited sees the write', async () => {
      const { client } = await setup();
      const write = client.execute('INSERT INTO t VALUES (5)');
      const read = client.execute('SELECT count(*) AS n FROM t');
      await write;
      expect((await read).rows[0]!.n).toBe(1);
      await client.close();
    });

    it("reads an INTEGER outside JS's safe range as a RangeError in number mode, even one a double holds", async () => {
      const { client } = await setup();
      expect((await client.execute('SELECT 9007199254740991 AS v')).rows[0]!.v).toBe(Number.MAX_SAFE_INTEGER);
      for (const sql of ['SELECT 9007199254740992', 'SELECT -9007199254740992', 'SELECT 1000000000000000000']) {
        expect(await rejection(client.execute(sql))).toBeInstanceOf(RangeError);
      }
      // A JS number binds as a REAL, so whatever comes back from one is readable.
      expect((await client.execute({ sql: 'SELECT ? AS v', args: [1e18] })).rows[0]!.v).toBe(1e18);
      await client.close();
    });
  });
}
