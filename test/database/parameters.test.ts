import { beforeEach, describe, expect, it } from 'vitest';
import { open, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;

beforeEach(async () => {
  db = tmp.track(await open(':memory:'));
});

/** The value SQLite received for one parameter, and the storage class it chose. */
function echo(value: unknown): { v: unknown; type: string } {
  return db.prepare('SELECT ?1 AS v, typeof(?1) AS type').safeIntegers().get(value) as { v: unknown; type: string };
}

describe('positional parameters', () => {
  it('binds ? in order', () => {
    expect(db.prepare('SELECT ? AS a, ? AS b').get(1, 'x')).toEqual({ a: 1, b: 'x' });
  });

  it('binds ?NNN by number, and a repeated ?NNN takes one value', () => {
    expect(db.prepare('SELECT ?2 AS a, ?1 AS b, ?2 AS c').get('first', 'second')).toEqual({
      a: 'second',
      b: 'first',
      c: 'second',
    });
  });

  it('spreads arrays, alone or mixed with single values', () => {
    const stmt = db.prepare('SELECT ? AS a, ? AS b, ? AS c').raw();
    expect(stmt.get([1, 2, 3])).toEqual([1, 2, 3]);
    expect(stmt.get([1], [2, 3])).toEqual([1, 2, 3]);
    expect(stmt.get(1, [2], 3)).toEqual([1, 2, 3]);
  });

  it('rejects too few values with a RangeError and stays usable', () => {
    const stmt = db.prepare('SELECT ? AS a, ? AS b');
    const error = thrown(() => stmt.get(1));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Too few parameter values were provided');
    expect(stmt.get(1, 2)).toEqual({ a: 1, b: 2 });
  });

  it('rejects too many values with a RangeError', () => {
    const error = thrown(() => db.prepare('SELECT ?').get(1, 2));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Too many parameter values were provided');
    expect(() => db.prepare('SELECT 1').get(1)).toThrow(RangeError);
    expect(() => db.prepare('SELECT ?').get([1, 2])).toThrow(RangeError);
  });

  it('rejects a million values in one array with the count error, not a stack overflow', () => {
    const error = thrown(() => db.prepare('SELECT ?').get(new Array(1_000_000).fill(1)));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Too many parameter values were provided');
  });

  it('counts parameters up to the highest ?NNN, as SQLite numbers them', () => {
    // ?3 alone makes a statement with three parameters; the first two are nameless.
    expect(() => db.prepare('SELECT ?3').get('only')).toThrow(RangeError);
    expect(db.prepare('SELECT ?3 AS v').get('a', 'b', 'c')).toEqual({ v: 'c' });
  });
});

describe('named parameters', () => {
  it('binds :a, @a and $a from one object whose keys have no prefix', () => {
    expect(db.prepare('SELECT :a AS x, @b AS y, $c AS z').get({ a: 1, b: 'two', c: null })).toEqual({
      x: 1,
      y: 'two',
      z: null,
    });
  });

  it('binds the same name used twice from one key', () => {
    expect(db.prepare('SELECT :n + :n AS v').get({ n: 21 })).toEqual({ v: 42 });
  });

  it('also accepts a key written with its prefix', () => {
    expect(db.prepare('SELECT :a AS v').get({ ':a': 7 })).toEqual({ v: 7 });
  });

  it('accepts an object with a null prototype', () => {
    const params = Object.assign(Object.create(null), { a: 5 });
    expect(db.prepare('SELECT :a AS v').get(params)).toEqual({ v: 5 });
  });

  it('ignores extra keys', () => {
    expect(db.prepare('SELECT :a AS v').get({ a: 1, unused: 2 })).toEqual({ v: 1 });
  });

  it('rejects a missing key with a RangeError naming it', () => {
    const error = thrown(() => db.prepare('SELECT :a, :b').get({ a: 1 }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Missing named parameter "b"');
  });

  it('rejects a call without the object with a TypeError', () => {
    expect(() => db.prepare('SELECT :a').get()).toThrow(TypeError);
  });

  it("rejects named values split over two objects with better-sqlite3's TypeError", () => {
    expect(() => db.prepare('SELECT :a, :b').get({ a: 1 }, { b: 2 })).toThrow(
      new TypeError('You cannot specify named parameters in two different objects'),
    );
  });

  it('ignores an object given to a statement without named parameters, as better-sqlite3 does', () => {
    expect(db.prepare('SELECT 1 AS one').get({ a: 1 })).toEqual({ one: 1 });
    expect(db.prepare('SELECT ? AS v').get(5, {})).toEqual({ v: 5 });
  });

  it('rejects a non-plain object or a function where named values are expected with a TypeError', () => {
    for (const odd of [new (class Named {})(), () => 1, new Map()]) {
      expect(() => db.prepare('SELECT :a').get({ a: 1 }, odd)).toThrow(
        new TypeError('Named parameters can only be passed within plain objects'),
      );
    }
  });

  it('mixes positional and named parameters in one call, in either order', () => {
    const stmt = db.prepare('SELECT ? AS p, :n AS n, ? AS q').raw();
    expect(stmt.get(1, { n: 'named' }, 2)).toEqual([1, 'named', 2]);
    expect(stmt.get({ n: 'named' }, [1, 2])).toEqual([1, 'named', 2]);
    expect(() => stmt.get({ n: 'named' }, 1)).toThrow(RangeError);
  });
});

describe('number parameters', () => {
  // better-sqlite3 and @libsql/client bind every JS number as a double; so does wasmlite.
  it.each([0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 62, 1e18, -(2 ** 63), 1.5, -0.1])(
    'binds the number %d as REAL, and SELECT ? gives back that very number',
    (n) => {
      expect(echo(n)).toEqual({ v: n, type: 'real' });
      expect(db.prepare('SELECT ?').pluck().get(n)).toBe(n);
    },
  );

  it('reads 1e18 back from SELECT ? in number mode (no RangeError), and from an INTEGER affinity column', () => {
    expect(db.prepare('SELECT ? AS v').get(1e18)).toEqual({ v: 1e18 });
    db.exec('CREATE TABLE ints (id INTEGER PRIMARY KEY, n INTEGER)');
    const insert = db.prepare('INSERT INTO ints (n) VALUES (?)');
    const numbers = [0, 7, -(2 ** 31) - 1, 2 ** 40, 1e18];
    for (const n of numbers) insert.run(n);
    expect(db.prepare('SELECT DISTINCT typeof(n) FROM ints').pluck().all()).toEqual(['integer']);
    expect(db.prepare('SELECT n FROM ints ORDER BY rowid').pluck().all()).toEqual(numbers);
    expect(db.prepare('SELECT n FROM ints WHERE n = ?').pluck().get(1e18)).toBe(1e18);
    expect(db.prepare('SELECT n FROM ints WHERE id = ?').pluck().get(5)).toBe(1e18);
  });

  it('binds 2^63 and beyond (outside int64) as REAL', () => {
    expect(echo(2 ** 63)).toEqual({ v: 2 ** 63, type: 'real' });
    expect(echo(-(2 ** 64))).toEqual({ v: -(2 ** 64), type: 'real' });
  });

  it('binds Infinity and -Infinity as REAL', () => {
    expect(echo(Infinity)).toEqual({ v: Infinity, type: 'real' });
    expect(echo(-Infinity)).toEqual({ v: -Infinity, type: 'real' });
  });

  it('binds NaN as NULL (SQLite has no NaN)', () => {
    expect(echo(Number.NaN)).toEqual({ v: null, type: 'null' });
  });

  it('does arithmetic on numbers as on doubles, as better-sqlite3 does', () => {
    expect(db.prepare('SELECT ? / 2').pluck().get(5)).toBe(2.5);
  });
});

describe('bigint parameters', () => {
  it('binds bigints in the int64 range as INTEGER, exactly', () => {
    for (const n of [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 9007199254740993n]) {
      expect(echo(n)).toEqual({ v: n, type: 'integer' });
    }
  });

  it('rejects a bigint above int64 with a RangeError naming the parameter', () => {
    const error = thrown(() => db.prepare('SELECT ?').get(2n ** 63n));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Expected parameter 1 to be within the 64-bit integer range');
  });

  it('rejects a bigint below int64 with a RangeError naming the named parameter', () => {
    const error = thrown(() => db.prepare('SELECT :big').get({ big: -(2n ** 63n) - 1n }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Expected parameter :big to be within the 64-bit integer range');
  });
});

describe('string parameters', () => {
  it.each([
    ['ascii', 'hello'],
    ['empty', ''],
    ['emoji', '😀👍🏽🏳️‍🌈'],
    ['CJK', '漢字かなカナ한국어'],
    ['accents', 'héllo wörld ñ'],
    ['NUL inside', 'a\0b\0'],
  ])('binds %s text exactly', (_, s) => {
    expect(echo(s)).toEqual({ v: s, type: 'text' });
  });

  it('stores the UTF-8 bytes of the string', () => {
    expect(db.prepare('SELECT hex(?)').pluck().get('é😀\0')).toBe('C3A9F09F988000');
  });

  it('binds a 1 MB string', () => {
    const s = 'x'.repeat(1024 * 1024);
    expect(db.prepare('SELECT length(?1) AS n, ?1 = ?2 AS same').get(s, s)).toEqual({ n: 1024 * 1024, same: 1 });
    expect(db.prepare('SELECT ?').pluck().get(s)).toBe(s);
  });

  it('binds a 1M-character string of multi-byte characters', () => {
    const s = '€😀'.repeat(350_000);
    expect(db.prepare('SELECT ?').pluck().get(s)).toBe(s);
  });

  it('binds several strings in one call without one overwriting another', () => {
    const long = 'L'.repeat(100_000);
    expect(db.prepare('SELECT ? AS a, ? AS b, ? AS c').raw().get('short', long, 'ß')).toEqual(['short', long, 'ß']);
  });
});

describe('blob parameters', () => {
  it('binds a Uint8Array as a BLOB', () => {
    expect(db.prepare('SELECT typeof(?1) AS t, hex(?1) AS h').get(new Uint8Array([0, 1, 255]))).toEqual({
      t: 'blob',
      h: '0001FF',
    });
  });

  it('binds a Buffer as a BLOB', () => {
    expect(db.prepare('SELECT typeof(?1) AS t, hex(?1) AS h').get(Buffer.from('hi'))).toEqual({ t: 'blob', h: '6869' });
  });

  it('binds an ArrayBuffer as a BLOB', () => {
    expect(db.prepare('SELECT typeof(?1) AS t, hex(?1) AS h').get(new Uint8Array([7, 8]).buffer)).toEqual({
      t: 'blob',
      h: '0708',
    });
  });

  it('binds only the bytes a view covers', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5]);
    expect(db.prepare('SELECT hex(?)').pluck().get(backing.subarray(1, 3))).toBe('0203');
    expect(
      db
        .prepare('SELECT hex(?)')
        .pluck()
        .get(Buffer.from(backing.buffer, 3, 2)),
    ).toBe('0405');
  });

  it('binds an empty array as an empty BLOB, not NULL', () => {
    expect(db.prepare('SELECT typeof(?1) AS t, length(?1) AS n').get(new Uint8Array(0))).toEqual({ t: 'blob', n: 0 });
    expect(db.prepare('SELECT typeof(?1) AS t').get(new ArrayBuffer(0))).toEqual({ t: 'blob' });
  });

  it('binds a 4 MB blob', () => {
    const bytes = new Uint8Array(4 * 1024 * 1024).map((_, i) => i % 251);
    const back = db.prepare('SELECT ?').pluck().get(bytes) as Uint8Array;
    expect(back.length).toBe(bytes.length);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('other parameter values', () => {
  it('binds null and undefined as NULL', () => {
    expect(echo(null)).toEqual({ v: null, type: 'null' });
    expect(echo(undefined)).toEqual({ v: null, type: 'null' });
    expect(db.prepare('SELECT :a IS NULL AS n').get({ a: undefined })).toEqual({ n: 1 });
  });

  it('binds booleans as the integers 1 and 0', () => {
    expect(echo(true)).toEqual({ v: 1n, type: 'integer' });
    expect(echo(false)).toEqual({ v: 0n, type: 'integer' });
  });

  class Point {
    x = 1;
  }

  it.each([
    ['a Date', new Date(0), 'Date'],
    ['a Map', new Map(), 'Map'],
    ['a Set', new Set(), 'Set'],
    ['a class instance', new Point(), 'Point'],
    ['a function', () => 1, 'function'],
    ['a symbol', Symbol('s'), 'symbol'],
    ['a DataView', new DataView(new ArrayBuffer(1)), 'DataView'],
  ])('rejects %s with a TypeError naming the parameter', (_, value, kind) => {
    const positional = thrown(() => db.prepare('SELECT ?').get(value));
    expect(positional).toBeInstanceOf(TypeError);
    expect(positional.message).toMatch(/^Expected parameter 1 to be /);
    expect(positional.message).toContain(`got ${kind}`);

    const named = thrown(() => db.prepare('SELECT @when').get({ when: value }));
    expect(named).toBeInstanceOf(TypeError);
    expect(named.message).toMatch(/^Expected parameter @when to be /);
  });

  it('names the right position when the bad value is not the first', () => {
    const error = thrown(() => db.prepare('SELECT ?, ?, ?').get(1, 2, new Date()));
    expect(error.message).toMatch(/^Expected parameter 3 to be /);
  });

  it('leaves the statement usable after a rejected value', () => {
    const stmt = db.prepare('SELECT ? AS v');
    expect(() => stmt.get(new Date())).toThrow(TypeError);
    expect(stmt.get('ok')).toEqual({ v: 'ok' });
  });
});
