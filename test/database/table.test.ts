import { beforeEach, describe, expect, it } from 'vitest';
import { virtualTableCounts } from '../../core/database/virtual-table.ts';
import { open, SqliteError, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;

beforeEach(async () => {
  db = tmp.track(await open(':memory:'));
});

const rows = (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params);
const column = (sql: string, ...params: unknown[]) =>
  db
    .prepare(sql)
    .pluck()
    .all(...params);

/** `range(start, stop)`: the integers start..stop-1, with parameter defaults. */
function defineRange(calls: unknown[][] = []): void {
  db.table('range', {
    columns: ['value'],
    parameters: ['start', 'stop'],
    *rows(start = 0, stop = 3) {
      calls.push([...arguments]);
      for (let n = Number(start); n < Number(stop); n++) yield [n];
    },
  });
}

describe('db.table() rows', () => {
  it('serves the rows its generator yields, as arrays in column order or objects by name', () => {
    db.table('planets', {
      columns: ['name', 'moons'],
      *rows() {
        yield ['Mercury', 0];
        yield { moons: 1, name: 'Earth' };
        yield ['Mars', 2];
      },
    });
    expect(rows('SELECT * FROM planets')).toEqual([
      { name: 'Mercury', moons: 0 },
      { name: 'Earth', moons: 1 },
      { name: 'Mars', moons: 2 },
    ]);
  });

  it('can be filtered, sorted, joined and aggregated like a table', () => {
    db.table('planets', {
      columns: ['name', 'moons'],
      *rows() {
        yield* [
          ['Mercury', 0],
          ['Earth', 1],
          ['Mars', 2],
        ];
      },
    });
    db.exec("CREATE TABLE visited (name TEXT); INSERT INTO visited VALUES ('Earth'), ('Mars')");
    expect(column('SELECT name FROM planets WHERE moons > 0 ORDER BY name DESC')).toEqual(['Mars', 'Earth']);
    expect(column('SELECT p.moons FROM visited v JOIN planets p USING (name) ORDER BY 1')).toEqual([1, 2]);
    expect(db.prepare('SELECT sum(moons) FROM planets').pluck().get()).toBe(3);
  });

  it('serves REAL (every JS number, as better-sqlite3 does), TEXT, BLOB, NULL, bigints and booleans as ints', () => {
    db.table('kinds', {
      columns: ['v'],
      *rows() {
        yield* [[42], [2.5], ['text 😀'], [new Uint8Array([0, 255])], [null], [2n ** 62n], [true], [undefined]];
      },
    });
    expect(db.prepare('SELECT v, typeof(v) AS t FROM kinds').safeIntegers().raw().all()).toEqual([
      [42, 'real'],
      [2.5, 'real'],
      ['text 😀', 'text'],
      [Buffer.from([0, 255]), 'blob'],
      [null, 'null'],
      [2n ** 62n, 'integer'],
      [1n, 'integer'],
      [null, 'null'],
    ]);
  });

  it('numbers rows from 1 in each scan as their rowid, apart from a column named rowid', () => {
    db.table('letters', {
      columns: ['letter'],
      *rows() {
        yield* [['a'], ['b']];
      },
    });
    expect(db.prepare('SELECT rowid, letter FROM letters').raw().all()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    db.table('own_ids', {
      columns: ['rowid'],
      *rows() {
        yield* [{ rowid: 70 }, { rowid: 80 }];
      },
    });
    expect(db.prepare('SELECT oid, rowid FROM own_ids').raw().all()).toEqual([
      [1, 70],
      [2, 80],
    ]);
  });

  it('runs the generator only as far as the statement reads', () => {
    const produced: number[] = [];
    db.table('counter', {
      columns: ['n'],
      *rows() {
        for (let n = 1; n <= 100; n++) {
          produced.push(n);
          yield [n];
        }
      },
    });
    expect(column('SELECT n FROM counter LIMIT 2')).toEqual([1, 2]);
    expect(produced).toEqual([1, 2]);
    produced.length = 0;
    for (const n of db.prepare('SELECT n FROM counter').pluck().iterate()) if (n === 3) break;
    expect(produced).toEqual([1, 2, 3]);
  });

  it('closes the generator when a scan ends early, so its finally blocks run', () => {
    let closed = 0;
    db.table('guarded', {
      columns: ['n'],
      *rows() {
        try {
          yield* [[1], [2], [3]];
        } finally {
          closed++;
        }
      },
    });
    expect(db.prepare('SELECT n FROM guarded').pluck().get()).toBe(1);
    expect(closed).toBe(1);
    expect(column('SELECT n FROM guarded')).toEqual([1, 2, 3]);
    expect(closed).toBe(2);
  });

  it('is read-only', () => {
    db.table('fixed', {
      columns: ['x'],
      *rows() {
        yield [1];
      },
    });
    const error = thrown(() => db.exec('INSERT INTO fixed VALUES (2)'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('table fixed may not be modified');
  });
});

describe('db.table() parameters', () => {
  it('takes its parameters as table-valued function arguments or as = constraints on hidden columns', () => {
    defineRange();
    expect(column('SELECT value FROM range(?, ?)', 2, 5)).toEqual([2, 3, 4]);
    expect(column('SELECT value FROM range WHERE stop = ? AND start = ?', 5, 2)).toEqual([2, 3, 4]);
    expect(rows('SELECT * FROM range(1, 2)')).toEqual([{ value: 1 }]);
    expect(db.prepare('SELECT start, stop, value FROM range(1, 3)').raw().all()).toEqual([
      [1, 3, 1],
      [1, 3, 2],
    ]);
  });

  it('gives the generator undefined for each parameter the query leaves out, in any combination', () => {
    const calls: unknown[][] = [];
    defineRange(calls);
    expect(column('SELECT value FROM range')).toEqual([0, 1, 2]);
    expect(column('SELECT value FROM range WHERE stop = 2')).toEqual([0, 1]);
    expect(column('SELECT value FROM range(1)')).toEqual([1, 2]);
    expect(calls).toEqual([
      [undefined, undefined],
      [undefined, 2],
      [1, undefined],
    ]);
  });

  it("names its parameters $1, $2, … after the generator's length unless given", () => {
    db.table('pair', {
      columns: ['sum'],
      *rows(a, b) {
        yield [a + b];
      },
    });
    expect(db.prepare('SELECT sum, "$1", "$2" FROM pair(?, ?)').raw().get(3, 4)).toEqual([7, 3, 4]);
    expect(() => db.prepare('SELECT * FROM pair(1, 2, 3)')).toThrow(SqliteError);
  });

  it('refuses any operator other than = on a parameter when the statement is prepared', () => {
    defineRange();
    const error = thrown(() => db.prepare('SELECT value FROM range WHERE start > 1'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('virtual table parameter "start" can only be constrained by the \'=\' operator');
    expect(() => db.prepare('SELECT value FROM range WHERE start IS 1')).toThrow(SqliteError);
  });

  it('yields no rows, without calling the generator, when a parameter is NULL', () => {
    const calls: unknown[][] = [];
    defineRange(calls);
    expect(column('SELECT value FROM range(?, 5)', null)).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('takes a parameter from each row of another table in a join, running the generator per row', () => {
    const calls: unknown[][] = [];
    defineRange(calls);
    db.exec('CREATE TABLE bounds (lo, hi); INSERT INTO bounds VALUES (0, 2), (5, 7)');
    expect(db.prepare('SELECT lo, value FROM bounds, range(bounds.lo, bounds.hi) ORDER BY value').raw().all()).toEqual([
      [0, 0],
      [0, 1],
      [5, 5],
      [5, 6],
    ]);
    expect(calls).toEqual([
      [0, 2],
      [5, 7],
    ]);
  });

  it('checks a second = on the same parameter against the value the generator got', () => {
    const calls: unknown[][] = [];
    defineRange(calls);
    expect(column('SELECT value FROM range WHERE start = ? AND start = ? AND stop = 4', 2, 2)).toEqual([2, 3]);
    expect(column('SELECT value FROM range WHERE start = ? AND start = ? AND stop = 4', 2, 3)).toEqual([]);
  });

  it('passes parameters of every kind, INTEGERs as bigints with safeIntegers', () => {
    const seen: unknown[] = [];
    db.table('echo', {
      columns: ['kind'],
      parameters: ['v'],
      *rows(v) {
        seen.push(v);
        yield [typeof v];
      },
    });
    db.table('echo_big', {
      columns: ['kind'],
      parameters: ['v'],
      safeIntegers: true,
      *rows(v) {
        seen.push(v);
        yield [typeof v];
      },
    });
    for (const value of [7, 1.5, 'hi', new Uint8Array([9])]) db.prepare('SELECT * FROM echo(?)').get(value);
    expect(column('SELECT kind FROM echo_big(?)', 7n)).toEqual(['bigint']);
    expect(seen).toEqual([7, 1.5, 'hi', Buffer.from([9]), 7n]);
  });

  it('takes the safeIntegers default from the database when the table is first used', async () => {
    const safe = tmp.track(await open(':memory:'));
    safe.table('kind', {
      columns: ['k'],
      parameters: ['v'],
      *rows(v) {
        yield [typeof v];
      },
    });
    safe.defaultSafeIntegers(true);
    expect(safe.prepare('SELECT k FROM kind(1)').pluck().get()).toBe('bigint');
  });

  it("keeps a blob parameter's hidden column as bound when the generator changes its copy", () => {
    db.table('mutate', {
      columns: ['done'],
      parameters: ['data'],
      *rows(data: Uint8Array) {
        data[0] = 0;
        yield [1];
      },
    });
    const bound = new Uint8Array([7, 7]);
    expect(db.prepare('SELECT data FROM mutate(?)').pluck().get(bound)).toEqual(Buffer.from([7, 7]));
    expect(bound).toEqual(new Uint8Array([7, 7]));
  });
});

describe('db.table() rows of the wrong shape', () => {
  const yielding = (row: unknown) => {
    db.table('bad', {
      columns: ['a', 'b'],
      *rows() {
        yield row as never;
      },
    });
    return thrown(() => rows('SELECT * FROM bad'));
  };

  it.each([
    ['a number', 42, 'Virtual table module "bad" yielded something that isn\'t a valid row object'],
    ['null', null, 'Virtual table module "bad" yielded something that isn\'t a valid row object'],
    ['a short array', [1], 'Virtual table module "bad" yielded a row with an incorrect number of columns'],
    ['a long array', [1, 2, 3], 'Virtual table module "bad" yielded a row with an incorrect number of columns'],
    [
      'an object with an undeclared key',
      { a: 1, b: 2, c: 3 },
      'Virtual table module "bad" yielded a row with an undeclared column "c"',
    ],
    ['an object with a missing key', { a: 1 }, 'Virtual table module "bad" yielded a row with missing columns'],
    ['a Date value', [1, new Date()], 'Virtual table module "bad" yielded an invalid value in column "b"'],
    ['a nested array value', { a: [1], b: 2 }, 'Virtual table module "bad" yielded an invalid value in column "a"'],
  ])('fails the statement with a TypeError for %s', (_, row, message) => {
    const error = yielding(row);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(message);
    expect(db.prepare('SELECT 1').pluck().get()).toBe(1);
  });

  it('fails the statement with a RangeError for a bigint outside 64 bits', () => {
    const error = yielding([1, 2n ** 64n]);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Virtual table module "bad" yielded a bigint that was too big in column "b"');
  });
});

describe('db.table() exceptions', () => {
  it.each([
    ['an Error subclass', new (class DiskError extends Error {})('disk gone')],
    ['a string', 'plain text'],
    ['an object', { reason: 'not an Error' }],
    ['null', null],
  ])('reaches the caller unchanged from the generator, after the rows before it: %s', (_, value) => {
    db.table('flaky', {
      columns: ['n'],
      *rows() {
        yield [1];
        yield [2];
        throw value;
      },
    });
    const seen: unknown[] = [];
    const error = thrown(() => {
      for (const n of db.prepare('SELECT n FROM flaky').pluck().iterate()) seen.push(n);
    });
    expect(error).toBe(value);
    expect(seen).toEqual([1, 2]);
    expect(db.prepare('SELECT n FROM flaky LIMIT 2').pluck().all()).toEqual([1, 2]);
  });

  it('does not leak into the next, unrelated failure', () => {
    db.table('broken', {
      columns: ['n'],
      *rows() {
        throw new Error('broken');
      },
    });
    expect(() => rows('SELECT * FROM broken')).toThrow('broken');
    const error = thrown(() => db.prepare('SELECT * FROM missing_table'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('no such table: missing_table');
  });
});

describe('db.table() with a factory', () => {
  it('makes a table per CREATE VIRTUAL TABLE from its module arguments, and none under its own name', () => {
    const contexts: unknown[] = [];
    db.table('words', function (...args) {
      contexts.push({ ...this });
      return {
        columns: ['word'],
        *rows() {
          for (const a of args) yield [a];
        },
      };
    });
    db.exec('CREATE VIRTUAL TABLE greeting USING words(hello world, how are you?)');
    db.exec('CREATE VIRTUAL TABLE numbers USING words(1, 2)');
    expect(column('SELECT word FROM greeting')).toEqual(['hello world', 'how are you?']);
    expect(column('SELECT word FROM numbers')).toEqual(['1', '2']);
    expect(contexts).toEqual([
      { module: 'words', database: 'main', table: 'greeting' },
      { module: 'words', database: 'main', table: 'numbers' },
    ]);
    expect(() => db.prepare('SELECT * FROM words')).toThrow('no such table: words');
    db.exec('DROP TABLE numbers');
    expect(() => db.prepare('SELECT * FROM numbers')).toThrow('no such table: numbers');
  });

  it('keeps tables it made in a database file, usable again once the module is registered', async () => {
    const path = tmp.file('vtab.db');
    const first = await open(path);
    const factory = (...args: string[]) => ({
      columns: ['arg'],
      *rows() {
        for (const a of args) yield [a];
      },
    });
    first.table('args', factory);
    first.exec('CREATE VIRTUAL TABLE saved USING args(x, y)');
    first.close();
    const second = tmp.track(await open(path));
    expect(() => second.prepare('SELECT * FROM saved')).toThrow('no such module: args');
    second.table('args', factory);
    expect(second.prepare('SELECT arg FROM saved').pluck().all()).toEqual(['x', 'y']);
  });

  it("passes the factory's exception to the CREATE VIRTUAL TABLE unchanged, and creates nothing", () => {
    const refusal = { code: 'NOPE' };
    db.table('refuses', () => {
      throw refusal;
    });
    expect(thrown(() => db.exec('CREATE VIRTUAL TABLE t USING refuses()'))).toBe(refusal);
    expect(() => db.prepare('SELECT * FROM t')).toThrow('no such table: t');
  });

  it('fails the CREATE VIRTUAL TABLE with a TypeError when the factory returns no valid definition', () => {
    db.table('nothing_back', () => undefined as never);
    expect(thrown(() => db.exec('CREATE VIRTUAL TABLE t USING nothing_back')).message).toBe(
      'Virtual table module "nothing_back" did not return a table definition object',
    );
    db.table('no_columns', () => ({ columns: [], *rows() {} }));
    const error = thrown(() => db.exec('CREATE VIRTUAL TABLE t USING no_columns'));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Virtual table module "no_columns" returned a table definition with zero columns');
  });

  it('a definition object refuses CREATE VIRTUAL TABLE', () => {
    db.table('only_eponymous', { columns: ['x'], *rows() {} });
    expect(() => db.exec('CREATE VIRTUAL TABLE t USING only_eponymous')).toThrow(SqliteError);
  });
});

describe('db.table() options and registration', () => {
  it('with directOnly, cannot be used from a view', () => {
    db.table('secret', {
      columns: ['x'],
      directOnly: true,
      *rows() {
        yield [1];
      },
    });
    expect(column('SELECT x FROM secret')).toEqual([1]);
    db.exec('CREATE VIEW v AS SELECT x FROM secret');
    expect(() => column('SELECT x FROM v')).toThrow(/unsafe use of virtual table "secret"/);
  });

  it('quotes column and parameter names', () => {
    db.table('odd', {
      columns: ['a "quoted"); name'],
      parameters: ['p)"'],
      *rows(p) {
        yield [p];
      },
    });
    expect(rows('SELECT * FROM odd WHERE "p)""" = 5')).toEqual([{ 'a "quoted"); name': 5 }]);
  });

  it("reports SQLite's refusal of the declared columns as a SqliteError when the table is used", () => {
    db.table('cased', {
      columns: ['name', 'NAME'],
      *rows() {
        yield ['a', 'b'];
      },
    });
    const error = thrown(() => db.prepare('SELECT * FROM cased'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('failed to declare virtual table "cased": duplicate column name: NAME');
  });

  it('replaces a module registered under the same name', () => {
    db.table('version', {
      columns: ['v'],
      *rows() {
        yield [1];
      },
    });
    expect(column('SELECT v FROM version')).toEqual([1]);
    db.table('version', {
      columns: ['v'],
      *rows() {
        yield [2];
      },
    });
    expect(column('SELECT v FROM version')).toEqual([2]);
  });

  it('is registered per database', async () => {
    db.table('here', { columns: ['x'], *rows() {} });
    const other = tmp.track(await open(':memory:'));
    expect(() => other.prepare('SELECT * FROM here')).toThrow('no such table: here');
  });

  it('returns the database, for chaining', () => {
    expect(db.table('chained', { columns: ['x'], *rows() {} })).toBe(db);
  });

  it('forgets its modules, tables and scans when the database closes', async () => {
    const before = virtualTableCounts();
    const own = await open(':memory:');
    own.table('a', {
      columns: ['x'],
      *rows() {
        yield* [[1], [2]];
      },
    });
    own.table('b', () => ({ columns: ['y'], *rows() {} }));
    own.exec('CREATE VIRTUAL TABLE made USING b');
    const pending = own.prepare('SELECT * FROM a').pluck().iterate();
    pending.next();
    expect(virtualTableCounts().scans).toBe(before.scans + 1);
    pending.return?.();
    own.close();
    expect(virtualTableCounts()).toEqual(before);
  });

  it.each([
    ['no name', [undefined, { columns: ['x'], *rows() {} }], TypeError, 'Expected first argument to be a string'],
    [
      'an empty name',
      ['', { columns: ['x'], *rows() {} }],
      TypeError,
      'Virtual table module name cannot be an empty string',
    ],
    ['no definition', ['t', null], TypeError, 'Expected second argument to be a function or a table definition object'],
    [
      'no rows',
      ['t', { columns: ['x'] }],
      TypeError,
      'Virtual table module "t" used a table definition without a "rows" property',
    ],
    [
      'no columns',
      ['t', { *rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition without a "columns" property',
    ],
    [
      'rows that is no generator function',
      ['t', { columns: ['x'], rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition with an invalid "rows" property (should be a generator ' +
        'function)',
    ],
    [
      'columns that are not strings',
      ['t', { columns: ['x', 1], *rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition with an invalid "columns" property (should be an array ' +
        'of strings)',
    ],
    [
      'duplicate columns',
      ['t', { columns: ['x', 'x'], *rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition with duplicate column names',
    ],
    [
      'zero columns',
      ['t', { columns: [], *rows() {} }],
      RangeError,
      'Virtual table module "t" used a table definition with zero columns',
    ],
    [
      'parameters that are not an array',
      ['t', { columns: ['x'], parameters: 'p', *rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition with an invalid "parameters" property (should be an ' +
        'array of strings)',
    ],
    [
      'duplicate parameters',
      ['t', { columns: ['x'], parameters: ['p', 'p'], *rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition with duplicate parameter names',
    ],
    [
      'a parameter named like a column',
      ['t', { columns: ['x'], parameters: ['x'], *rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition with column "x" which was ambiguously defined as both a ' +
        'column and parameter',
    ],
    [
      '33 parameters',
      ['t', { columns: ['x'], parameters: Array.from({ length: 33 }, (_, i) => `p${i}`), *rows() {} }],
      RangeError,
      'Virtual table module "t" used a table definition with more than the maximum number of 32 parameters',
    ],
    [
      'a non-boolean safeIntegers',
      ['t', { columns: ['x'], safeIntegers: 1, *rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition with an invalid "safeIntegers" property (should be a boolean)',
    ],
    [
      'a non-boolean directOnly',
      ['t', { columns: ['x'], directOnly: undefined, *rows() {} }],
      TypeError,
      'Virtual table module "t" used a table definition with an invalid "directOnly" property (should be a boolean)',
    ],
  ])('rejects %s before registering anything', (_, args, type, message) => {
    const error = thrown(() => (db.table as (...a: unknown[]) => unknown)(...args));
    expect(error).toBeInstanceOf(type);
    expect(error.message).toBe(message);
    expect(() => db.prepare('SELECT * FROM t')).toThrow('no such table: t');
  });

  it('rejects a generator whose length is not a parameter count', () => {
    const withLength = (length: unknown) => Object.defineProperty(function* () {}, 'length', { value: length });
    expect(thrown(() => db.table('t', { columns: ['x'], rows: withLength(-1) })).message).toBe(
      'Expected function.length to be a positive integer',
    );
    expect(() => db.table('t', { columns: ['x'], rows: withLength(33) })).toThrow(RangeError);
    expect(db.table('t', { columns: ['x'], rows: withLength(32) })).toBe(db);
  });
});
