import { describe, expect, it } from 'vitest';
import { LibsqlError, type Client, type Row } from '../../core/index.ts';
import { CLIENT_KINDS, useClients } from '../adapters/support/clients.ts';

const clients = useClients();

async function collect(rows: AsyncIterable<Row>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

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

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** 100 000 rows of ~2 KB each (about 200 MB if held at once), computed by SQLite, no table. */
const BIG = `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)
  SELECT i, hex(zeroblob(1000)) AS pad FROM s`;

describe.each(CLIENT_KINDS)('%s client: iterate()', (kind) => {
  async function seeded(options = {}): Promise<Client> {
    const { client } = await clients.open(kind, options);
    await client.batch(
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, big INTEGER, data BLOB)',
        { sql: 'INSERT INTO t VALUES (?, ?, ?, ?)', args: [1, 'a', 9007199254740993n, new Uint8Array([1, 2, 3])] },
        { sql: 'INSERT INTO t VALUES (?, ?, ?, ?)', args: [2, 'b', 5, null] },
      ],
      'write',
    );
    return client;
  }

  it('yields the rows execute() returns, with the same shape', async () => {
    const client = await seeded({ intMode: 'bigint' });
    const sql = 'SELECT id, name, big, data FROM t ORDER BY id';
    const rows = await collect(client.iterate(sql));
    const expected = (await client.execute(sql)).rows;
    expect(rows).toEqual(expected);
    expect(rows[0]!.big).toBe(9007199254740993n);
    expect(rows[0]!.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(rows[0]!.data as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect(rows[1]![1]).toBe('b');
  });

  it('binds positional and named arguments', async () => {
    const client = await seeded();
    expect((await collect(client.iterate('SELECT name FROM t WHERE id = ?', [2]))).map((r) => r.name)).toEqual(['b']);
    expect(
      (await collect(client.iterate({ sql: 'SELECT name FROM t WHERE id = :id', args: { id: 1 } }))).map((r) => r.name),
    ).toEqual(['a']);
  });

  it('returns integers as strings with intMode "string"', async () => {
    const client = await seeded({ intMode: 'string' });
    const rows = await collect(client.iterate('SELECT big FROM t WHERE id = 1'));
    expect(rows[0]!.big).toBe('9007199254740993');
  });

  it('streams 100 000 rows without holding the result', async () => {
    const { client } = await clients.open(kind);
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let count = 0;
    let sum = 0;
    for await (const row of client.iterate(BIG)) {
      count++;
      sum += row.i as number;
      if (count % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    }
    expect(count).toBe(100_000);
    expect(sum).toBe((100_000 * 100_001) / 2);
    // Held whole, the rows are over 200 MB of strings.
    expect(peak).toBeLessThan(100 * 1024 * 1024);
  });

  it('runs a statement that changes rows and yields what RETURNING gives', async () => {
    const client = await seeded();
    const rows = await collect(client.iterate('UPDATE t SET name = upper(name) RETURNING id, name'));
    expect(rows.map((r) => [r.id, r.name]).sort()).toEqual([
      [1, 'A'],
      [2, 'B'],
    ]);
    expect((await client.execute('SELECT name FROM t ORDER BY id')).rows.map((r) => r.name)).toEqual(['A', 'B']);
  });

  it('runs a statement without result rows and yields nothing', async () => {
    const client = await seeded();
    expect(await collect(client.iterate('DELETE FROM t WHERE id = 2'))).toEqual([]);
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
  });

  it('rejects with the LibsqlError and leaves the client usable', async () => {
    const client = await seeded();
    const error = await collect(client.iterate('SELECT nope FROM t')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).code).toBe('SQLITE_ERROR');
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(2);
  });

  it('does not see the uncommitted rows of a transaction open on the client', async () => {
    const client = await seeded();
    const tx = await client.transaction('write');
    await tx.execute("INSERT INTO t (id, name) VALUES (3, 'uncommitted')");
    const rows = watch(collect(client.iterate('SELECT id FROM t ORDER BY id')));
    await settle();
    await tx.rollback();
    expect((await rows.promise).map((r) => r.id)).toEqual([1, 2]);
  });
});

describe('local client: iterate() holds the connection', () => {
  it('makes other calls wait until the iterator ends, so nothing runs between its rows', async () => {
    const { client } = await clients.open('local');
    await client.execute('CREATE TABLE t (x)');
    await client.batch(['INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)', 'INSERT INTO t VALUES (3)']);
    const rows = client.iterate('SELECT x FROM t ORDER BY x');
    expect((await rows.next()).value?.x).toBe(1);
    const insert = watch(client.execute('INSERT INTO t VALUES (4)'));
    const transaction = watch(client.transaction('write'));
    await settle();
    expect(insert.settled).toBe(false);
    expect(transaction.settled).toBe(false);
    expect((await rows.next()).value?.x).toBe(2);
    await rows.return!(undefined);
    await insert.promise;
    const tx = await transaction.promise;
    await tx.rollback();
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(4);
  });

  it('rejects the next row once the client is closed mid-way', async () => {
    const { client } = await clients.open('local');
    const rows = client.iterate("SELECT value FROM json_each('[1,2,3]')");
    expect((await rows.next()).value?.value).toBe(1);
    client.close();
    await expect(rows.next()).rejects.toThrow(/closed/);
    await expect(client.execute('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('releases the connection when a row fails mid-way', async () => {
    const { client } = await clients.open('local');
    const rows = client.iterate(
      "SELECT CASE WHEN value < 3 THEN value ELSE json('{') END AS v FROM json_each('[1,2,3]')",
    );
    await expect(collect(rows)).rejects.toBeInstanceOf(LibsqlError);
    expect((await client.execute('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });
});

describe('replica client: iterate()', () => {
  it('serves a read from the replica without a request to the primary', async () => {
    const fixture = await clients.open('replica');
    await fixture.client.execute('CREATE TABLE t (x)');
    await fixture.client.execute('INSERT INTO t VALUES (1), (2)');
    await collect(fixture.client.iterate('SELECT x FROM t'));
    const before = await fixture.primaryRequests();
    const rows = await collect(fixture.client.iterate('SELECT x FROM t ORDER BY x'));
    expect(rows.map((r) => r.x)).toEqual([1, 2]);
    // Only the /metrics request of primaryRequests() itself.
    expect(await fixture.primaryRequests()).toBe(before + 1);
  });

  it('sends a write to the primary and moves the bookmark', async () => {
    const fixture = await clients.open('replica');
    await fixture.client.execute('CREATE TABLE t (x)');
    const before = fixture.client.bookmark;
    const rows = await collect(fixture.client.iterate('INSERT INTO t VALUES (7) RETURNING x'));
    expect(rows.map((r) => r.x)).toEqual([7]);
    expect(fixture.client.bookmark).not.toBe(before);
    expect((await fixture.client.execute('SELECT x FROM t')).rows.map((r) => r.x)).toEqual([7]);
  });
});
