import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { ClientError, createClient, LibsqlBatchError, LibsqlError, type Client } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection } from '../database/thrown.ts';

const tmp = useTempDir();
let url: string;
let client: Client;

beforeEach(async () => {
  url = pathToFileURL(tmp.file()).href;
  client = tmp.track(createClient({ url }));
  await client.execute('CREATE TABLE t (x INTEGER UNIQUE)');
});

const count = async (c: Client = client) => (await c.execute('SELECT count(*) AS n FROM t')).rows[0]!.n;
const values = async (c: Client = client) => (await c.execute('SELECT x FROM t ORDER BY x')).rows.map((r) => r.x);
/** Lets every pending promise callback and timer of this turn run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Tracks whether a promise has settled yet. */
function watch<T>(promise: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  return {
    promise: watched,
    get settled() {
      return settled;
    },
  };
}

describe('client.transaction()', () => {
  it('commits what it executed', async () => {
    const tx = await client.transaction();
    const rs = await tx.execute('INSERT INTO t VALUES (?)', [1]);
    expect(rs.rowsAffected).toBe(1);
    await tx.execute({ sql: 'INSERT INTO t VALUES (:x)', args: { x: 2 } });
    expect((await tx.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(2);
    await tx.commit();
    expect(tx.closed).toBe(true);
    expect(await values()).toEqual([1, 2]);
  });

  it('rollback() undoes what it executed', async () => {
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    await tx.rollback();
    expect(tx.closed).toBe(true);
    expect(await count()).toBe(0);
  });

  it('close() rolls back, and may be called again', async () => {
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    tx.close();
    tx.close();
    expect(tx.closed).toBe(true);
    expect(await count()).toBe(0);
  });

  it('stays open after a failing statement, keeping the earlier ones', async () => {
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    const error = await rejection(tx.execute('INSERT INTO t VALUES (1)'));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.extendedCode).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(tx.closed).toBe(false);
    await tx.execute('INSERT INTO t VALUES (2)');
    await tx.commit();
    expect(await values()).toEqual([1, 2]);
  });

  // libSQL's Transaction.batch stops at a failure without rolling anything back (the statements
  // before it stay in the transaction); this test asserted wasmlite's former all-or-nothing batch.
  it('batch() returns a ResultSet per statement and stops at a failing one, keeping those before it, as libSQL does', async () => {
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    const results = await tx.batch(['INSERT INTO t VALUES (2)', 'SELECT count(*) AS n FROM t']);
    expect(results.map((r) => r.rowsAffected)).toEqual([1, 0]);
    expect(results[1]!.rows[0]!.n).toBe(2);
    const error = await rejection(
      tx.batch(['INSERT INTO t VALUES (3)', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (4)']),
    );
    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect(error).toMatchObject({ statementIndex: 1, code: 'SQLITE_CONSTRAINT' });
    expect(tx.closed).toBe(false);
    await tx.commit();
    expect(await values()).toEqual([1, 2, 3]);
  });

  it('executeMultiple() runs several statements inside it', async () => {
    const tx = await client.transaction();
    await tx.executeMultiple('INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);');
    await tx.rollback();
    expect(await count()).toBe(0);
  });

  it('a failing commit (a deferred foreign key) rejects, rolls back and releases the client', async () => {
    await client.executeMultiple(
      'PRAGMA foreign_keys = ON; CREATE TABLE child (p INTEGER REFERENCES t (x) DEFERRABLE INITIALLY DEFERRED)',
    );
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    await tx.execute('INSERT INTO child VALUES (42)');
    const error = await rejection(tx.commit());
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.extendedCode).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(tx.closed).toBe(true);
    expect(await count()).toBe(0);
  });

  it('rejects an unknown mode with a TypeError', async () => {
    expect(await rejection(client.transaction('exclusive' as never))).toBeInstanceOf(TypeError);
    expect(await count()).toBe(0);
  });
});

describe('a closed transaction', () => {
  it('rejects execute, batch, executeMultiple and commit with ClientError TRANSACTION_CLOSED', async () => {
    const tx = await client.transaction();
    await tx.commit();
    for (const call of [
      () => tx.execute('SELECT 1'),
      () => tx.batch(['SELECT 1']),
      () => tx.executeMultiple('SELECT 1'),
      () => tx.commit(),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(ClientError);
      expect(error.code).toBe('TRANSACTION_CLOSED');
    }
  });

  it('accepts rollback() and close() as no-ops', async () => {
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    await tx.commit();
    await tx.rollback();
    tx.close();
    expect(await values()).toEqual([1]);
  });
});

describe('a transaction that SQLite rolled back itself', () => {
  it('closes on the failing statement, so later statements are not kept in autocommit mode', async () => {
    await client.execute('INSERT INTO t VALUES (1)');
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (2)');
    const error = await rejection(tx.execute('INSERT OR ROLLBACK INTO t VALUES (1)'));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.extendedCode).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(tx.closed).toBe(true);
    const next = await rejection(tx.execute('INSERT INTO t VALUES (3)'));
    expect(next).toBeInstanceOf(ClientError);
    expect(next.code).toBe('TRANSACTION_CLOSED');
    await tx.rollback();
    expect(await values()).toEqual([1]);
  });

  it('releases the client at once, so waiting calls run', async () => {
    await client.execute('INSERT INTO t VALUES (1)');
    const tx = await client.transaction();
    const waiting = count();
    await rejection(tx.batch(['INSERT INTO t VALUES (2)', 'INSERT OR ROLLBACK INTO t VALUES (1)']));
    expect(await waiting).toBe(1);
  });

  it('is closed after a COMMIT run through execute(): the next call is TRANSACTION_CLOSED', async () => {
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    await tx.execute('COMMIT');
    expect((await rejection(tx.execute('INSERT INTO t VALUES (2)'))).code).toBe('TRANSACTION_CLOSED');
    expect(await values()).toEqual([1]);
  });
});

describe('calls on the client while a transaction is open', () => {
  it('wait for a rollback, never see the uncommitted row, and then run outside it', async () => {
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    const outside = watch(count());
    await settle();
    expect(outside.settled).toBe(false);
    await tx.rollback();
    expect(await outside.promise).toBe(0);
    expect(await count()).toBe(0);
  });

  it('wait for a commit and then see the committed row', async () => {
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    const outside = watch(count());
    await settle();
    expect(outside.settled).toBe(false);
    await tx.commit();
    expect(await outside.promise).toBe(1);
  });

  it('a write made while it is open is not undone by its rollback', async () => {
    const tx = await client.transaction();
    const write = watch(client.execute('INSERT INTO t VALUES (2)'));
    await tx.execute('INSERT INTO t VALUES (1)');
    await settle();
    expect(write.settled).toBe(false);
    await tx.rollback();
    await write.promise;
    expect(await values()).toEqual([2]);
  });

  it('a call made in the same tick as transaction() does not run inside the transaction', async () => {
    const starting = client.transaction();
    const write = client.execute('INSERT INTO t VALUES (7)');
    const tx = await starting;
    await tx.rollback();
    await write;
    expect(await values()).toEqual([7]);
  });

  it('a call made before transaction() runs before it begins', async () => {
    const write = client.execute('INSERT INTO t VALUES (7)');
    const tx = await client.transaction();
    expect((await tx.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
    await tx.rollback();
    await write;
    expect(await values()).toEqual([7]);
  });

  it('a second transaction waits for the first instead of failing', async () => {
    const first = client.transaction();
    const second = watch(client.transaction());
    const tx1 = await first;
    await tx1.execute('INSERT INTO t VALUES (1)');
    await settle();
    expect(second.settled).toBe(false);
    await tx1.commit();
    const tx2 = await second.promise;
    await tx2.execute('INSERT INTO t VALUES (2)');
    await tx2.commit();
    expect(await values()).toEqual([1, 2]);
  });

  it('a batch made in the same tick as transaction() runs on its own, atomically', async () => {
    const starting = client.transaction();
    const batch = client.batch(['INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)']);
    const tx = await starting;
    await tx.execute('INSERT INTO t VALUES (3)');
    await tx.rollback();
    await batch;
    expect(await values()).toEqual([1, 2]);
  });

  it('run in the order they were made once the transaction ends', async () => {
    const tx = await client.transaction();
    const order: number[] = [];
    const calls = [1, 2, 3].map((x) => client.execute('INSERT INTO t VALUES (?)', [x]).then(() => order.push(x)));
    await tx.commit();
    await Promise.all(calls);
    expect(order).toEqual([1, 2, 3]);
  });
});

describe('transaction modes', () => {
  it('read rejects writes and changes nothing, then the client writes again', async () => {
    await client.execute('INSERT INTO t VALUES (1)');
    const tx = await client.transaction('read');
    expect(await tx.execute('SELECT count(*) AS n FROM t').then((rs) => rs.rows[0]!.n)).toBe(1);
    const error = await rejection(tx.execute('INSERT INTO t VALUES (2)'));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.code).toMatch(/^SQLITE_READONLY/);
    await tx.commit();
    expect(await values()).toEqual([1]);
    await client.execute('INSERT INTO t VALUES (3)');
    expect(await values()).toEqual([1, 3]);
  });

  it('read runs a batch of reads', async () => {
    await client.execute('INSERT INTO t VALUES (1)');
    const tx = await client.transaction('read');
    const [a, b] = await tx.batch(['SELECT count(*) AS n FROM t', 'SELECT max(x) AS m FROM t']);
    expect([a!.rows[0]!.n, b!.rows[0]!.m]).toEqual([1, 1]);
    await tx.commit();
  });

  it('read keeps its snapshot while another connection commits', async () => {
    const other = tmp.track(createClient({ url }));
    const tx = await client.transaction('read');
    expect((await tx.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
    await other.execute('INSERT INTO t VALUES (1)');
    expect((await tx.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
    await tx.commit();
    expect(await count()).toBe(1);
  });

  it("write (the default) holds the write lock: another connection's write gets SQLITE_BUSY", async () => {
    const other = tmp.track(createClient({ url, timeout: 0 }));
    await other.execute('SELECT 1');
    const tx = await client.transaction();
    const error = await rejection(other.execute('INSERT INTO t VALUES (9)'));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.code).toMatch(/^SQLITE_BUSY/);
    await tx.commit();
    await other.execute('INSERT INTO t VALUES (9)');
    expect(await values()).toEqual([9]);
  });

  it('deferred takes no lock until it writes', async () => {
    const other = tmp.track(createClient({ url, timeout: 0 }));
    const tx = await client.transaction('deferred');
    await other.execute('INSERT INTO t VALUES (1)');
    await tx.execute('INSERT INTO t VALUES (2)');
    await tx.commit();
    expect(await values()).toEqual([1, 2]);
  });
});
