import { beforeEach, describe, expect, it } from 'vitest';
import { open, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;

beforeEach(async () => {
  db = tmp.track(await open(':memory:'));
  db.exec('CREATE TABLE v (id INTEGER PRIMARY KEY, x)');
});

function store(value: unknown): void {
  db.prepare('DELETE FROM v').run();
  db.prepare('INSERT INTO v (id, x) VALUES (1, ?)').run(value);
}

const read = () => db.prepare('SELECT x FROM v WHERE id = 1').pluck().get();

describe('INTEGER values', () => {
  it('come back as numbers', () => {
    for (const n of [0, 1, -1, 2 ** 31, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      store(n);
      expect(read()).toBe(n);
    }
  });

  it('beyond ±2^53 are numbers when a double holds them exactly, else a RangeError, never a rounded number', () => {
    for (const exact of [2n ** 53n, -(2n ** 53n), 2n ** 60n, 10n ** 18n, -(2n ** 63n)]) {
      store(exact);
      expect(read()).toBe(Number(exact));
    }
    for (const big of [2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, 10n ** 18n + 1n]) {
      store(big);
      const error = thrown(read);
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toContain(String(big));
      expect(error.message).toContain('safeIntegers');
    }
  });

  it('that came from a JS number always read back, whatever their size', () => {
    db.exec('CREATE TABLE ints (n INTEGER)');
    // INTEGER affinity makes an INTEGER of every integral REAL that fits in int64 (-2^63 stays REAL).
    for (const [n, type] of [
      [2 ** 51, 'integer'],
      [2 ** 53, 'integer'],
      [2 ** 60, 'integer'],
      [1e18, 'integer'],
      [-1e18, 'integer'],
      [Number.MAX_SAFE_INTEGER + 3, 'integer'],
      [2 ** 63, 'real'],
    ] as const) {
      db.prepare('DELETE FROM ints').run();
      db.prepare('INSERT INTO ints VALUES (?)').run(n);
      expect(db.prepare('SELECT typeof(n) FROM ints').pluck().get()).toBe(type);
      expect(db.prepare('SELECT n FROM ints').pluck().get()).toBe(n);
      expect(db.prepare('SELECT n FROM ints WHERE n = ?').pluck().get(n)).toBe(n);
    }
  });

  it('beyond 2^53 are a RangeError from all(), iterate() and object rows too, and the statement stays usable', () => {
    db.exec('INSERT INTO v VALUES (1, 1), (2, 9007199254740993)');
    const stmt = db.prepare('SELECT x FROM v ORDER BY id');
    expect(() => stmt.all()).toThrow(RangeError);
    expect(() => [...stmt.iterate()]).toThrow(RangeError);
    expect(() => stmt.raw().all()).toThrow(RangeError);
    expect(stmt.safeIntegers().all()).toEqual([[1n], [9007199254740993n]]);
    expect(db.prepare('SELECT count(*) FROM v').pluck().get()).toBe(2);
  });

  it('come back as bigints from a statement with safeIntegers(), small ones included', () => {
    db.exec('INSERT INTO v VALUES (1, 5), (2, 9223372036854775807), (3, -9223372036854775808)');
    expect(db.prepare('SELECT x FROM v ORDER BY id').pluck().safeIntegers().all()).toEqual([
      5n,
      2n ** 63n - 1n,
      -(2n ** 63n),
    ]);
  });

  it('come back as bigints from every statement of a database opened with safeIntegers', async () => {
    const safe = tmp.track(await open(':memory:', { safeIntegers: true }));
    expect(safe.prepare('SELECT 1 AS a, 9223372036854775807 AS b').get()).toEqual({ a: 1n, b: 2n ** 63n - 1n });
    expect(safe.prepare('SELECT 1 AS a').safeIntegers(false).get()).toEqual({ a: 1 });
  });

  it('come back as bigints from statements prepared after defaultSafeIntegers()', () => {
    const before = db.prepare('SELECT 1').pluck();
    db.defaultSafeIntegers();
    const after = db.prepare('SELECT 1').pluck();
    expect(before.get()).toBe(1);
    expect(after.get()).toBe(1n);
    db.defaultSafeIntegers(false);
    expect(db.prepare('SELECT 1').pluck().get()).toBe(1);
  });

  it('safeIntegers leaves REAL, TEXT and NULL values alone', () => {
    expect(db.prepare("SELECT 1.5, 'ten', NULL").raw().safeIntegers().get()).toEqual([1.5, 'ten', null]);
  });

  it('give lastInsertRowid as a number when it is safe and as a bigint beyond 2^53', () => {
    expect(db.prepare('INSERT INTO v (id) VALUES (?)').run(2 ** 53 - 1).lastInsertRowid).toBe(2 ** 53 - 1);
    expect(db.prepare('INSERT INTO v (id) VALUES (?)').run(9007199254740993n).lastInsertRowid).toBe(9007199254740993n);
  });
});

describe('REAL values', () => {
  it('come back as the same double', () => {
    for (const r of [1.5, -2.25, 0.1, 1e-300, 1.7976931348623157e308, Number.MIN_VALUE]) {
      store(r);
      expect(read()).toBe(r);
    }
  });

  it('an integral REAL computed by SQLite comes back as a number', () => {
    expect(db.prepare('SELECT 2.0 AS v, typeof(2.0) AS t').get()).toEqual({ v: 2, t: 'real' });
  });

  it('Infinity and -Infinity round-trip', () => {
    store(Infinity);
    expect(read()).toBe(Infinity);
    store(-Infinity);
    expect(read()).toBe(-Infinity);
  });

  it('NaN is stored as NULL (SQLite has no NaN)', () => {
    store(Number.NaN);
    expect(read()).toBeNull();
  });

  it('a REAL -0.0 made by SQLite comes back as -0 from a column without affinity', () => {
    db.exec('INSERT INTO v VALUES (1, -0.0)');
    expect(Object.is(read(), -0)).toBe(true);
  });

  it('a -0 parameter is a REAL -0 (numbers bind as doubles, as in better-sqlite3)', () => {
    store(-0);
    expect(Object.is(read(), -0)).toBe(true);
    expect(db.prepare('SELECT typeof(x) FROM v').pluck().get()).toBe('real');
  });
});

describe('TEXT values', () => {
  it('round-trip every kind of code point: ASCII, 2-, 3- and 4-byte UTF-8, NUL', () => {
    const all = [
      'plain',
      '\0',
      'ÿ',
      'ߺ',
      '\u0800',
      '\uFFFD',
      '\uFFFF',
      '𐀀',
      '\u{10FFFF}',
      'e\u0301',
      '👩‍👩‍👧‍👦',
      '\u202Eright-to-left',
    ];
    for (const s of all) {
      store(s);
      expect(read()).toBe(s);
    }
    const everyBmp = Array.from({ length: 0xd800 }, (_, i) => String.fromCharCode(i)).join('');
    store(everyBmp);
    expect(read()).toBe(everyBmp);
  });

  it('replace a lone surrogate with U+FFFD (UTF-8 cannot encode it)', () => {
    store('a\uD800b\uDFFFc');
    expect(read()).toBe('a\uFFFDb\uFFFDc');
  });

  it('replace invalid UTF-8 bytes stored by SQL with U+FFFD', () => {
    db.exec("INSERT INTO v VALUES (1, CAST(x'61ff62' AS TEXT))");
    expect(read()).toBe('a\uFFFDb');
  });
});

describe('BLOB values', () => {
  it('come back as Buffers of their own, from columns and as function arguments', () => {
    store(new Uint8Array([9, 8, 7]));
    const blob = read() as Buffer;
    expect(Buffer.isBuffer(blob)).toBe(true);
    expect(blob.equals(Buffer.from([9, 8, 7]))).toBe(true);
    // Exactly the blob's bytes: not a view into Node's shared pool.
    expect(blob.buffer.byteLength).toBe(3);
    let argument: unknown;
    db.function('grab', (b) => ((argument = b), null));
    db.prepare('SELECT grab(x) FROM v').get();
    expect(Buffer.isBuffer(argument)).toBe(true);
    expect((argument as Buffer).equals(blob)).toBe(true);
  });

  it('come back as a Uint8Array with the same bytes', () => {
    store(Buffer.from([0, 1, 2, 255]));
    const blob = read() as Uint8Array;
    expect(blob).toBeInstanceOf(Uint8Array);
    expect([...blob]).toEqual([0, 1, 2, 255]);
  });

  it('come back as a copy: mutating it does not change the next read', () => {
    store(new Uint8Array([1, 2, 3]));
    const first = read() as Uint8Array;
    first[0] = 99;
    first.fill(0, 1);
    expect([...(read() as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it('are copied when bound: mutating the argument after run() does not change the row', () => {
    const bytes = new Uint8Array([4, 5, 6]);
    store(bytes);
    bytes[0] = 0;
    expect([...(read() as Uint8Array)]).toEqual([4, 5, 6]);
  });

  it('each row gets its own array', () => {
    db.exec("INSERT INTO v VALUES (1, x'01'), (2, x'02')");
    const [a, b] = db.prepare('SELECT x FROM v ORDER BY id').pluck().all() as Uint8Array[];
    expect(a!.buffer).not.toBe(b!.buffer);
    expect([a![0], b![0]]).toEqual([1, 2]);
  });

  it('an empty BLOB comes back as an empty Uint8Array, not null', () => {
    db.exec("INSERT INTO v VALUES (1, x'')");
    const blob = read();
    expect(blob).toBeInstanceOf(Uint8Array);
    expect((blob as Uint8Array).length).toBe(0);
  });
});

describe('NULL values', () => {
  it('come back as null', () => {
    store(null);
    expect(read()).toBeNull();
    expect(db.prepare('SELECT NULL AS n').get()).toEqual({ n: null });
  });
});
