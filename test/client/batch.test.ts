import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { createClient, LibsqlError, type Client } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection } from '../database/thrown.ts';

const tmp = useTempDir();
let client: Client;

beforeEach(async () => {
  client = tmp.track(createClient({ url: pathToFileURL(tmp.file()).href }));
  await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)');
});

const names = async (c: Client = client) => (await c.execute('SELECT name FROM t ORDER BY id')).rows.map((r) => r.name);

describe('client.batch()', () => {
  it('returns one ResultSet per statement, in order', async () => {
    const results = await client.batch([
      "INSERT INTO t (name) VALUES ('a')",
      { sql: 'INSERT INTO t (name) VALUES (?)', args: ['b'] },
      ['INSERT INTO t (name) VALUES (:n)', { n: 'c' }],
      'SELECT name FROM t ORDER BY id',
      "UPDATE t SET name = name || '!' WHERE name <> 'a'",
    ]);
    expect(results).toHaveLength(5);
    expect(results.slice(0, 3).map((r) => [r.rowsAffected, r.lastInsertRowid])).toEqual([
      [1, 1n],
      [1, 2n],
      [1, 3n],
    ]);
    expect(results[3]!.columns).toEqual(['name']);
    expect(results[3]!.rows.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(results[4]!.rowsAffected).toBe(2);
    expect(await names()).toEqual(['a', 'b!', 'c!']);
  });

  it('is atomic: a failing third statement leaves nothing of the first two', async () => {
    const error = await rejection(
      client.batch([
        "INSERT INTO t (name) VALUES ('a')",
        "INSERT INTO t (name) VALUES ('b')",
        "INSERT INTO t (name) VALUES ('a')",
      ]),
    );
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.extendedCode).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(await names()).toEqual([]);
  });

  it('is atomic when a statement has bad SQL or bad args', async () => {
    expect(await rejection(client.batch(["INSERT INTO t (name) VALUES ('a')", 'SELEC 1']))).toBeInstanceOf(LibsqlError);
    expect(
      await rejection(
        client.batch(["INSERT INTO t (name) VALUES ('a')", { sql: 'INSERT INTO t (name) VALUES (?)', args: [] }]),
      ),
    ).toBeInstanceOf(RangeError);
    expect(await names()).toEqual([]);
  });

  it('is atomic when the COMMIT fails (a deferred foreign key)', async () => {
    await client.executeMultiple(
      'PRAGMA foreign_keys = ON; CREATE TABLE child (p INTEGER REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    const error = await rejection(client.batch(["INSERT INTO t (name) VALUES ('a')", 'INSERT INTO child VALUES (42)']));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.extendedCode).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(await names()).toEqual([]);
    expect((await client.execute('SELECT count(*) AS n FROM child')).rows[0]!.n).toBe(0);
  });

  it('leaves the client usable after a failed batch', async () => {
    await rejection(client.batch(["INSERT INTO t (name) VALUES ('a')", 'SELEC 1']));
    await client.batch(["INSERT INTO t (name) VALUES ('after')"]);
    expect(await names()).toEqual(['after']);
  });

  it("lets later statements see the earlier ones' writes", async () => {
    const [, count] = await client.batch(["INSERT INTO t (name) VALUES ('a')", 'SELECT count(*) AS n FROM t']);
    expect(count!.rows[0]!.n).toBe(1);
  });

  it('returns an empty array for no statements', async () => {
    expect(await client.batch([])).toEqual([]);
  });

  it('is all-or-nothing as seen from another client', async () => {
    const other = tmp.track(createClient({ url: pathToFileURL(tmp.file()).href }));
    await client.batch(["INSERT INTO t (name) VALUES ('a')", "INSERT INTO t (name) VALUES ('b')"]);
    expect(await names(other)).toEqual(['a', 'b']);
  });
});

describe('client.batch() modes', () => {
  it.each(['write', 'deferred'] as const)('runs writes in %s mode', async (mode) => {
    await client.batch(["INSERT INTO t (name) VALUES ('a')"], mode);
    expect(await names()).toEqual(['a']);
  });

  it('runs reads in read mode', async () => {
    await client.execute("INSERT INTO t (name) VALUES ('a')");
    const [rs] = await client.batch(['SELECT name FROM t'], 'read');
    expect(rs!.rows[0]!.name).toBe('a');
  });

  it('read mode refuses a write with SQLITE_READONLY and changes nothing', async () => {
    await client.execute("INSERT INTO t (name) VALUES ('a')");
    const error = await rejection(client.batch(['SELECT 1', "INSERT INTO t (name) VALUES ('b')"], 'read'));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.code).toMatch(/^SQLITE_READONLY/);
    expect(await names()).toEqual(['a']);
  });

  it('read mode ends with the connection writable again', async () => {
    await rejection(client.batch(["INSERT INTO t (name) VALUES ('b')"], 'read'));
    await client.batch(['SELECT 1'], 'read');
    await client.execute("INSERT INTO t (name) VALUES ('c')");
    expect(await names()).toEqual(['c']);
  });

  it("write mode takes the write lock up front: another connection's write waits out its timeout", async () => {
    const url = pathToFileURL(tmp.file()).href;
    const other = tmp.track(createClient({ url, timeout: 0 }));
    await other.execute('SELECT 1');
    const tx = await client.transaction('write');
    const error = await rejection(other.batch(["INSERT INTO t (name) VALUES ('x')"], 'write'));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.code).toMatch(/^SQLITE_BUSY/);
    await tx.rollback();
    await other.batch(["INSERT INTO t (name) VALUES ('x')"], 'write');
    expect(await names()).toEqual(['x']);
  });

  it('rejects an unknown mode or a non-array with a TypeError', async () => {
    expect(await rejection(client.batch(['SELECT 1'], 'exclusive' as never))).toBeInstanceOf(TypeError);
    expect(await rejection(client.batch('SELECT 1' as never))).toBeInstanceOf(TypeError);
  });
});
