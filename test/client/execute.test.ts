import { beforeEach, describe, expect, it } from 'vitest';
import { ClientError, createClient, LibsqlError, type Client } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection } from '../database/thrown.ts';

const tmp = useTempDir();
let client: Client;

beforeEach(async () => {
  client = tmp.track(createClient({ url: ':memory:' }));
  await client.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, avatar BLOB, n)');
  await client.execute("INSERT INTO users (name, score) VALUES ('ada', 9.5), ('grace', 7)");
});

describe('client.execute() forms', () => {
  it('takes a SQL string', async () => {
    const rs = await client.execute('SELECT name FROM users ORDER BY id');
    expect(rs.rows.map((r) => r.name)).toEqual(['ada', 'grace']);
  });

  it('takes { sql, args } with positional args', async () => {
    const rs = await client.execute({ sql: 'SELECT name FROM users WHERE id = ?', args: [2] });
    expect(rs.rows[0]!.name).toBe('grace');
  });

  it('takes { sql, args } with named args, with or without the prefix in the key', async () => {
    const plain = await client.execute({ sql: 'SELECT name FROM users WHERE id = :id', args: { id: 1 } });
    expect(plain.rows[0]!.name).toBe('ada');
    const prefixed = await client.execute({ sql: 'SELECT name FROM users WHERE id = $id', args: { $id: 2 } });
    expect(prefixed.rows[0]!.name).toBe('grace');
  });

  it('binds a named arg whatever prefix its key has, as @libsql/client does', async () => {
    for (const key of [':id', '@id', '$id', 'id']) {
      const rs = await client.execute({ sql: 'SELECT name FROM users WHERE id = :id', args: { [key]: 2 } });
      expect(rs.rows[0]!.name, key).toBe('grace');
    }
  });

  it('takes [sql, args]', async () => {
    const rs = await client.execute(['SELECT name FROM users WHERE id = ?', [1]]);
    expect(rs.rows[0]!.name).toBe('ada');
  });

  it('takes (sql, args)', async () => {
    const positional = await client.execute('SELECT name FROM users WHERE id = ?', [2]);
    expect(positional.rows[0]!.name).toBe('grace');
    const named = await client.execute('SELECT name FROM users WHERE name = @name', { name: 'ada' });
    expect(named.rows[0]!.name).toBe('ada');
  });

  it('takes { sql } without args', async () => {
    expect((await client.execute({ sql: 'SELECT 1 AS one' })).rows[0]!.one).toBe(1);
  });

  it('rejects a malformed statement with ClientError ARGS_INVALID', async () => {
    for (const bad of [42, null, { args: [] }, [1, []]]) {
      const error = await rejection(client.execute(bad as never));
      expect(error).toBeInstanceOf(ClientError);
      expect(error.code).toBe('ARGS_INVALID');
    }
    expect((await rejection(client.execute('SELECT ?', 5 as never))).code).toBe('ARGS_INVALID');
  });

  it('rejects with a LibsqlError for invalid SQL, and the client stays usable', async () => {
    const error = await rejection(client.execute('SELEC 1'));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.code).toBe('SQLITE_ERROR');
    // libSQL's messages start with the code.
    expect(error.message).toBe('SQLITE_ERROR: near "SELEC": syntax error');
    expect(error.cause).toMatchObject({ name: 'SqliteError', message: 'near "SELEC": syntax error' });
    const unique = await rejection(client.execute('INSERT INTO users (id, name) VALUES (1, ?)', ['dup']));
    expect(unique.extendedCode).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect((await client.execute('SELECT count(*) AS n FROM users')).rows[0]!.n).toBe(2);
  });

  it('rejects a wrong number of args with a RangeError', async () => {
    expect(await rejection(client.execute('SELECT ?, ?', [1]))).toBeInstanceOf(RangeError);
  });

  it('rejects a million args with a RangeError, not a stack overflow, and stays usable', async () => {
    const error = await rejection(client.execute({ sql: 'SELECT ?', args: new Array(1_000_000).fill(1) }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Too many parameter values were provided');
    expect((await client.execute({ sql: 'SELECT ? AS b', args: [new Uint8Array([1, 2])] })).rows[0]!.b).toEqual(
      new Uint8Array([1, 2]).buffer,
    );
  });
});

describe('ResultSet', () => {
  it('has columns, columnTypes from the declared types, rows, rowsAffected and lastInsertRowid', async () => {
    const rs = await client.execute('SELECT id, name, score, avatar, n, 1 + 1 AS two FROM users ORDER BY id');
    expect(rs.columns).toEqual(['id', 'name', 'score', 'avatar', 'n', 'two']);
    expect(rs.columnTypes).toEqual(['INTEGER', 'TEXT', 'REAL', 'BLOB', '', '']);
    expect(rs.rows).toHaveLength(2);
    expect(rs.rowsAffected).toBe(0);
    expect(rs.lastInsertRowid).toBeUndefined();
  });

  it('gives rows as libSQL shapes them: values by index and by name, only the names enumerable', async () => {
    const rs = await client.execute('SELECT id, name, score FROM users ORDER BY id');
    const row = rs.rows[0]!;
    expect(Array.isArray(row)).toBe(false);
    expect(Object.keys(row)).toEqual(['id', 'name', 'score']);
    expect(JSON.stringify(row)).toBe('{"id":1,"name":"ada","score":9.5}');
    expect(Object.entries(row)).toEqual([
      ['id', 1],
      ['name', 'ada'],
      ['score', 9.5],
    ]);
    expect(Array.from(row)).toEqual([1, 'ada', 9.5]);
    expect(row).toEqual({ id: 1, name: 'ada', score: 9.5 });
    expect(row.length).toBe(3);
    expect([...row]).toEqual([1, 'ada', 9.5]);
    expect(row[1]).toBe('ada');
    expect(row.name).toBe('ada');
    expect(row.id).toBe(1);
    expect(row.score).toBe(9.5);
  });

  it('gives the first column of a duplicated name to the property, and every value to the array', async () => {
    const row = (await client.execute('SELECT 1 AS a, 2 AS a')).rows[0]!;
    expect([...row]).toEqual([1, 2]);
    expect(row.a).toBe(1);
  });

  it('leaves out names that would shadow the row: length, indexes and __proto__ (readable by index)', async () => {
    const row = (await client.execute("SELECT 'L' AS length, 'I' AS \"0\", x'01' AS __proto__, 'ok' AS fine")).rows[0]!;
    expect(row.length).toBe(4);
    expect(row[0]).toBe('L');
    expect(row[1]).toBe('I');
    expect(Object.keys(row)).toEqual(['fine']);
    expect(row.fine).toBe('ok');
  });

  it('reports rowsAffected and a bigint lastInsertRowid for an INSERT', async () => {
    const rs = await client.execute("INSERT INTO users (name) VALUES ('linus')");
    expect(rs.rowsAffected).toBe(1);
    expect(rs.lastInsertRowid).toBe(3n);
    expect(rs.columns).toEqual([]);
    expect(rs.rows).toEqual([]);
  });

  it('reports rowsAffected for UPDATE and DELETE', async () => {
    expect((await client.execute('UPDATE users SET score = 0')).rowsAffected).toBe(2);
    expect((await client.execute('DELETE FROM users WHERE id = 1')).rowsAffected).toBe(1);
    expect((await client.execute('DELETE FROM users WHERE id = 99')).rowsAffected).toBe(0);
  });

  it('reports rows, rowsAffected and lastInsertRowid for INSERT … RETURNING', async () => {
    const rs = await client.execute("INSERT INTO users (name) VALUES ('x'), ('y') RETURNING id, name");
    expect(rs.columns).toEqual(['id', 'name']);
    expect(rs.rows.map((r) => [...r])).toEqual([
      [3, 'x'],
      [4, 'y'],
    ]);
    expect(rs.rowsAffected).toBe(2);
    expect(rs.lastInsertRowid).toBe(4n);
  });

  it('reports zero rowsAffected for a SELECT or a reporting PRAGMA that follows an INSERT', async () => {
    await client.execute("INSERT INTO users (name) VALUES ('z')");
    expect((await client.execute('SELECT * FROM users')).rowsAffected).toBe(0);
    expect((await client.execute('PRAGMA journal_mode = memory')).rowsAffected).toBe(0);
  });

  it('toJSON() is JSON-safe: bigints as strings, blobs as base64, rows as plain arrays', async () => {
    const big = createClient({ url: ':memory:', intMode: 'bigint' });
    tmp.track(big);
    await big.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB, r REAL, s TEXT)');
    const insert = await big.execute({
      sql: 'INSERT INTO t VALUES (?, ?, ?, ?)',
      args: [9007199254740993n, new Uint8Array([1, 2, 3]), 0.5, 'hi'],
    });
    const rs = await big.execute('SELECT id, b, r, s, NULL AS empty FROM t');
    const json = JSON.parse(JSON.stringify(rs));
    expect(json).toEqual({
      columns: ['id', 'b', 'r', 's', 'empty'],
      columnTypes: ['INTEGER', 'BLOB', 'REAL', 'TEXT', ''],
      rows: [['9007199254740993', 'AQID', 0.5, 'hi', null]],
      rowsAffected: 0,
      lastInsertRowid: null,
    });
    expect(JSON.parse(JSON.stringify(insert)).lastInsertRowid).toBe('9007199254740993');
  });

  it('reflects a column added by ALTER TABLE in a repeated SELECT *', async () => {
    const before = await client.execute('SELECT * FROM users WHERE id = 1');
    expect(before.columns).toEqual(['id', 'name', 'score', 'avatar', 'n']);
    await client.execute("ALTER TABLE users ADD COLUMN email TEXT DEFAULT 'none'");
    const after = await client.execute('SELECT * FROM users WHERE id = 1');
    expect(after.columns).toEqual(['id', 'name', 'score', 'avatar', 'n', 'email']);
    expect(after.columnTypes).toEqual(['INTEGER', 'TEXT', 'REAL', 'BLOB', '', 'TEXT']);
    expect(after.rows[0]!.email).toBe('none');
    expect(after.rows[0]!.length).toBe(6);
  });

  it('reflects a renamed column in a repeated SELECT *', async () => {
    expect((await client.execute('SELECT * FROM users WHERE id = 1')).columns).toContain('score');
    await client.execute('ALTER TABLE users RENAME COLUMN score TO points');
    const rs = await client.execute('SELECT * FROM users WHERE id = 1');
    expect(rs.columns).toEqual(['id', 'name', 'points', 'avatar', 'n']);
    expect(rs.rows[0]!.points).toBe(9.5);
  });
});

describe('client values', () => {
  it('returns blobs as ArrayBuffers holding exactly the blob', async () => {
    await client.execute({ sql: 'UPDATE users SET avatar = ? WHERE id = 1', args: [new Uint8Array([9, 8, 7])] });
    const value = (await client.execute('SELECT avatar FROM users WHERE id = 1')).rows[0]!.avatar;
    expect(value).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(value as ArrayBuffer)]).toEqual([9, 8, 7]);
  });

  it('accepts ArrayBuffer, Uint8Array and Buffer args as blobs', async () => {
    for (const arg of [new Uint8Array([1]).buffer, new Uint8Array([1]), Buffer.from([1])]) {
      const rs = await client.execute('SELECT typeof(?) AS t', [arg]);
      expect(rs.rows[0]!.t).toBe('blob');
    }
  });

  it('binds a Date arg as its epoch milliseconds, positional and named', async () => {
    const when = new Date('2024-02-29T12:34:56.789Z');
    const positional = await client.execute('SELECT ? AS v, typeof(?1) AS t', [when]);
    expect([...positional.rows[0]!]).toEqual([when.getTime(), 'real']); // a number, bound as @libsql/client binds it
    const named = await client.execute({ sql: 'SELECT :d AS v', args: { d: when } });
    expect(named.rows[0]!.v).toBe(when.getTime());
    const pair = await client.execute(['SELECT ? AS v', [when]]);
    expect(pair.rows[0]!.v).toBe(when.getTime());
  });

  it('binds booleans as 1 and 0 and null as NULL', async () => {
    const rs = await client.execute('SELECT ? AS t, ? AS f, ? IS NULL AS n', [true, false, null]);
    expect([...rs.rows[0]!]).toEqual([1, 0, 1]);
  });

  it('binds bigint args exactly', async () => {
    const rs = await client.execute('SELECT CAST(? AS TEXT) AS s', [2n ** 63n - 1n]);
    expect(rs.rows[0]!.s).toBe('9223372036854775807');
  });
});

describe('intMode', () => {
  const BIG = '9223372036854775807';

  it('number (default): small integers are numbers, beyond 2^53 a RangeError', async () => {
    expect((await client.execute('SELECT 42 AS v')).rows[0]!.v).toBe(42);
    expect(await rejection(client.execute(`SELECT ${BIG} AS v`))).toBeInstanceOf(RangeError);
    expect((await client.execute('SELECT 1 AS v')).rows[0]!.v).toBe(1);
  });

  it('bigint: every integer is a bigint, reals stay numbers', async () => {
    const big = tmp.track(createClient({ url: ':memory:', intMode: 'bigint' }));
    const rs = await big.execute(`SELECT 42 AS a, ${BIG} AS b, 1.5 AS c`);
    expect([...rs.rows[0]!]).toEqual([42n, 2n ** 63n - 1n, 1.5]);
  });

  it('string: every integer is a decimal string, reals stay numbers', async () => {
    const str = tmp.track(createClient({ url: ':memory:', intMode: 'string' }));
    const rs = await str.execute(`SELECT 42 AS a, ${BIG} AS b, 1.5 AS c, 'text' AS d`);
    expect([...rs.rows[0]!]).toEqual(['42', BIG, 1.5, 'text']);
    expect(rs.rows[0]!.b).toBe(BIG);
  });

  it('lastInsertRowid is a bigint in every mode', async () => {
    for (const intMode of ['number', 'bigint', 'string'] as const) {
      const c = tmp.track(createClient({ url: ':memory:', intMode }));
      await c.execute('CREATE TABLE t (x)');
      expect((await c.execute('INSERT INTO t VALUES (1)')).lastInsertRowid).toBe(1n);
    }
  });
});
