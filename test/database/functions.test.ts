import { beforeEach, describe, expect, it } from 'vitest';
import { open, SqliteError, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;

beforeEach(async () => {
  db = tmp.track(await open(':memory:'));
});

const one = (sql: string, ...params: unknown[]) =>
  db
    .prepare(sql)
    .pluck()
    .get(...params);

describe('db.function() arguments', () => {
  it('receives each SQL type as its JS value', () => {
    const seen: unknown[][] = [];
    db.function('capture', { varargs: true }, (...args) => {
      seen.push(args);
      return null;
    });
    one("SELECT capture(42, 1.5, 'text', x'00ff', NULL, -0.0, 9007199254740991)");
    expect(seen).toHaveLength(1);
    const [int, real, text, blob, nul, negZero, maxSafe] = seen[0]!;
    expect(int).toBe(42);
    expect(real).toBe(1.5);
    expect(text).toBe('text');
    expect(blob).toBeInstanceOf(Uint8Array);
    expect([...(blob as Uint8Array)]).toEqual([0, 255]);
    expect(nul).toBeNull();
    expect(Object.is(negZero, -0)).toBe(true);
    expect(maxSafe).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('receives bound parameters, including text with NUL and emoji', () => {
    db.function('echo', (x) => x);
    expect(one('SELECT echo(?)', 'a\0b😀')).toBe('a\0b😀');
    expect([...(one('SELECT echo(?)', new Uint8Array([1, 2])) as Uint8Array)]).toEqual([1, 2]);
  });

  it('receives integers as bigints with the safeIntegers option', () => {
    let got: unknown[] = [];
    db.function('big', { safeIntegers: true, varargs: true }, (...args) => {
      got = args;
      return 0;
    });
    one('SELECT big(1, 9223372036854775807, 2.5)');
    expect(got).toEqual([1n, 2n ** 63n - 1n, 2.5]);
  });

  it('receives bigints by default on a database opened with safeIntegers, unless its option says no', async () => {
    const safe = tmp.track(await open(':memory:', { safeIntegers: true }));
    safe.function('kind', (x) => typeof x);
    safe.function('kind_number', { safeIntegers: false }, (x) => typeof x);
    expect(safe.prepare('SELECT kind(1) AS a, kind_number(1) AS b').get()).toEqual({ a: 'bigint', b: 'number' });
  });

  it('fails the statement with a RangeError for an integer beyond 2^53 without safeIntegers', () => {
    db.function('small', (x) => x);
    expect(() => one('SELECT small(9007199254740993)')).toThrow(RangeError);
    expect(one('SELECT small(1)')).toBe(1);
  });

  it('takes exactly fn.length arguments unless varargs', () => {
    db.function('two', (a, b) => `${a}${b}`);
    expect(one("SELECT two('x', 'y')")).toBe('xy');
    const error = thrown(() => one("SELECT two('x')"));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('wrong number of arguments to function two()');
  });

  it('takes any number of arguments with varargs', () => {
    db.function('count_args', { varargs: true }, (...args) => args.length);
    expect(db.prepare('SELECT count_args() AS a, count_args(1) AS b, count_args(1, 2, 3, 4, 5) AS c').get()).toEqual({
      a: 0,
      b: 1,
      c: 5,
    });
  });

  it("is called once per row with that row's values", () => {
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
    db.function('double', (x) => (x as number) * 2);
    expect(db.prepare('SELECT double(x) FROM t ORDER BY x').pluck().all()).toEqual([2, 4, 6]);
  });
});

describe('db.function() results', () => {
  it.each([
    ['an int32 (every number is a REAL, as in better-sqlite3)', () => 7, 7, 'real'],
    ['an integral number beyond int32', () => 2 ** 40, 2 ** 40, 'real'],
    ['a fraction', () => 0.25, 0.25, 'real'],
    ['a string', () => 'héllo', 'héllo', 'text'],
    ['true', () => true, 1, 'integer'],
    ['false', () => false, 0, 'integer'],
    ['null', () => null, null, 'null'],
    ['undefined', () => undefined, null, 'null'],
    ['a bigint', () => 5n, 5, 'integer'],
  ])('returns %s as the matching SQL value', (_, fn, value, type) => {
    db.function('f', fn);
    expect(db.prepare('SELECT f() AS v, typeof(f()) AS t').get()).toEqual({ v: value, t: type });
  });

  it('returns a Uint8Array, Buffer or ArrayBuffer as a BLOB', () => {
    for (const bytes of [new Uint8Array([1, 2]), Buffer.from([1, 2]), new Uint8Array([1, 2]).buffer]) {
      db.function('blob', () => bytes);
      expect(db.prepare('SELECT typeof(blob()) AS t, hex(blob()) AS h').get()).toEqual({ t: 'blob', h: '0102' });
    }
  });

  it('returns a large bigint exactly', () => {
    db.function('max', () => 2n ** 63n - 1n);
    expect(db.prepare('SELECT max()').pluck().safeIntegers().get()).toBe(2n ** 63n - 1n);
  });

  it('fails the statement with a RangeError for a bigint result outside int64', () => {
    db.function('huge', () => 2n ** 64n);
    expect(() => one('SELECT huge()')).toThrow(RangeError);
  });

  it('fails the statement with a TypeError for an unsupported result, and the database stays usable', () => {
    db.function('now_date', () => new Date());
    const error = thrown(() => one('SELECT now_date()'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/got Date$/);
    expect(one('SELECT 1')).toBe(1);
  });
});

describe('db.function() options and registration', () => {
  it('with deterministic, can be used in an index expression and the index is used', () => {
    db.function('lower_ascii', { deterministic: true }, (s) => String(s).toLowerCase());
    db.exec("CREATE TABLE u (email TEXT); INSERT INTO u VALUES ('A@X'), ('b@y')");
    db.exec('CREATE INDEX u_email ON u (lower_ascii(email))');
    expect(one("SELECT email FROM u WHERE lower_ascii(email) = 'a@x'")).toBe('A@X');
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT email FROM u WHERE lower_ascii(email) = 'a@x'").all() as Array<{
      detail: string;
    }>;
    expect(plan.map((p) => p.detail).join(' ')).toContain('u_email');
  });

  it('without deterministic, is refused in an index expression', () => {
    db.function('lower_any', (s) => String(s).toLowerCase());
    db.exec('CREATE TABLE u (email TEXT)');
    const error = thrown(() => db.exec('CREATE INDEX u_email ON u (lower_any(email))'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toMatch(/non-deterministic functions prohibited in index expressions/);
  });

  it('with directOnly, cannot be called from a view', () => {
    db.function('secret', { directOnly: true }, () => 's');
    expect(one('SELECT secret()')).toBe('s');
    db.exec('CREATE VIEW v AS SELECT secret() AS s');
    expect(() => one('SELECT s FROM v')).toThrow(/unsafe use of secret\(\)/);
  });

  it('re-registering a name replaces the implementation, for statements prepared before too', () => {
    db.function('version', () => 1);
    const stmt = db.prepare('SELECT version()').pluck();
    expect(stmt.get()).toBe(1);
    db.function('version', () => 2);
    expect(stmt.get()).toBe(2);
    expect(one('SELECT version()')).toBe(2);
  });

  it('is registered per database', async () => {
    db.function('here', () => 1);
    const other = tmp.track(await open(':memory:'));
    expect(() => other.prepare('SELECT here()')).toThrow('no such function: here');
  });

  it('cannot use the database it belongs to while its statement runs (TypeError), as in better-sqlite3', () => {
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    const total = db.prepare('SELECT sum(x) FROM t').pluck();
    db.function('total', () => total.get());
    const error = thrown(() => one('SELECT total() + 10'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('This database connection is busy executing a query');
    expect(total.get()).toBe(3);
  });

  it('returns the database, for chaining', () => {
    expect(db.function('a', () => 1)).toBe(db);
  });

  it('rejects a missing name or function with a TypeError', () => {
    expect(() => db.function('', () => 1)).toThrow(TypeError);
    expect(() => db.function(1 as never, () => 1)).toThrow(TypeError);
    expect(() => db.function('f', {} as never)).toThrow(TypeError);
  });

  it('keeps working after many calls and many registrations', () => {
    for (let i = 0; i < 200; i++) db.function(`f${i % 10}`, () => i);
    db.function('inc', (x) => (x as number) + 1);
    db.exec('CREATE TABLE n (v)');
    db.exec(
      'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10000) INSERT INTO n SELECT ' +
        'inc(i) FROM c',
    );
    expect(one('SELECT sum(v) FROM n')).toBe((10000 * 10001) / 2 + 10000);
    expect(one('SELECT f3()')).toBe(193);
  });
});
