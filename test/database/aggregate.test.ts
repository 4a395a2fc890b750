import { beforeEach, describe, expect, it } from 'vitest';
import { liveGroupCount, registeredAggregateCount } from '../../core/database/aggregate.ts';
import { open, SqliteError, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;

beforeEach(async () => {
  db = tmp.track(await open(':memory:'));
  db.exec(`
    CREATE TABLE sales (region TEXT, amount);
    INSERT INTO sales VALUES ('north', 10), ('south', 5), ('north', 20), ('south', 7), ('east', 1);
    CREATE TABLE vacant (x);
  `);
});

const one = (sql: string, ...params: unknown[]) =>
  db
    .prepare(sql)
    .pluck()
    .get(...params);
const column = (sql: string, ...params: unknown[]) =>
  db
    .prepare(sql)
    .pluck()
    .all(...params);

describe('db.aggregate() accumulation', () => {
  it('folds every row through step(), starting from the start value', () => {
    db.aggregate('total', { start: 0, step: (sum: number, x) => sum + (x as number) });
    expect(one('SELECT total(amount) FROM sales')).toBe(43);
  });

  it('starts each GROUP BY group afresh from a start() function', () => {
    let starts = 0;
    db.aggregate('collect', {
      start: () => {
        starts++;
        return [] as unknown[];
      },
      step: (list: unknown[], x) => {
        list.push(x);
      },
      result: (list) => list.join('+'),
    });
    expect(
      db.prepare('SELECT region, collect(amount) AS c FROM sales GROUP BY region ORDER BY region').raw().all(),
    ).toEqual([
      ['east', '1'],
      ['north', '10+20'],
      ['south', '5+7'],
    ]);
    expect(starts).toBe(3);
  });

  it('begins with null when no start is given', () => {
    db.aggregate('first_seen', { step: (acc, x) => (acc === null ? `first:${x}` : acc) });
    expect(one("SELECT first_seen(amount) FROM sales WHERE region = 'north'")).toBe('first:10');
  });

  it('gives a start value that is not a function as-is to every group', () => {
    const shared = { calls: 0 };
    db.aggregate('count_into', {
      start: shared,
      step: (acc: typeof shared, _x) => {
        acc.calls++;
      },
      result: (acc) => acc.calls,
    });
    expect(one('SELECT count_into(amount) FROM sales')).toBe(5);
    expect(one('SELECT count_into(amount) FROM sales')).toBe(10);
  });

  it('keeps the accumulator when step() returns undefined, and replaces it with any other value (null too)', () => {
    db.aggregate('skip_odd', {
      start: 0,
      step: (sum: number, x) => ((x as number) % 2 === 1 ? undefined : sum + (x as number)),
    });
    expect(one('SELECT skip_odd(amount) FROM sales')).toBe(30);
    db.aggregate('to_null', { start: 99, step: (_acc, _x) => null });
    expect(one('SELECT to_null(amount) FROM sales')).toBeNull();
  });

  it('turns the accumulator into the SQL value with result(), undefined meaning NULL', () => {
    db.aggregate('mean', {
      start: () => ({ sum: 0, n: 0 }),
      step: (acc: { sum: number; n: number }, x) => {
        acc.sum += x as number;
        acc.n++;
      },
      result: (acc) => (acc.n === 0 ? undefined : acc.sum / acc.n),
    });
    expect(one('SELECT mean(amount) FROM sales')).toBe(8.6);
    expect(one('SELECT mean(x) FROM vacant')).toBeNull();
  });

  it('over no rows, reports the start value (through result()) without calling step()', () => {
    let steps = 0;
    db.aggregate('tally', { start: () => 100, step: (_n, _x) => void steps++, result: (n: number) => n + 1 });
    expect(one('SELECT tally(x) FROM vacant')).toBe(101);
    expect(steps).toBe(0);
  });

  it('takes step.length - 1 arguments, and a call with another count does not prepare', () => {
    db.aggregate('weighted', { start: 0, step: (sum: number, x, w) => sum + (x as number) * (w as number) });
    expect(one('SELECT weighted(amount, 2) FROM sales')).toBe(86);
    const error = thrown(() => db.prepare('SELECT weighted(amount) FROM sales'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_ERROR');
    expect(error.message).toBe('wrong number of arguments to function weighted()');
  });

  it('takes any number of arguments with varargs', () => {
    db.aggregate('widest', { varargs: true, start: 0, step: (max: number, ...args) => Math.max(max, args.length) });
    expect(db.prepare('SELECT widest() AS a, widest(1, 2, 3) AS b').get()).toEqual({ a: 0, b: 3 });
  });

  it('keeps one implementation per argument count under the same name', () => {
    db.aggregate('arity', { step: () => 'none' });
    db.aggregate('arity', { step: (_acc, _a) => 'one' });
    db.aggregate('arity', { step: (_acc, _a, _b) => 'two' });
    expect(db.prepare('SELECT arity() AS z, arity(1) AS o, arity(1, 2) AS t').get()).toEqual({
      z: 'none',
      o: 'one',
      t: 'two',
    });
    db.aggregate('arity', { step: (_acc, _a) => 'replaced' });
    expect(one('SELECT arity(1)')).toBe('replaced');
  });

  it('calls start(), step(), inverse() and result() without a this', () => {
    const receivers = new Set<unknown>();
    db.aggregate('who', {
      start: function (this: unknown) {
        receivers.add(this);
        return 0;
      },
      step: function (this: unknown, n: number, _x) {
        receivers.add(this);
        return n + 1;
      },
      inverse: function (this: unknown, n: number, _x) {
        receivers.add(this);
        return n - 1;
      },
      result: function (this: unknown, n: number) {
        receivers.add(this);
        return n;
      },
    });
    expect(column('SELECT who(amount) OVER (ORDER BY rowid ROWS 1 PRECEDING) FROM sales')).toEqual([1, 2, 2, 2, 2]);
    expect([...receivers]).toEqual([undefined]);
  });

  it('returns the database, for chaining', () => {
    expect(db.aggregate('a', { step: () => {} })).toBe(db);
  });
});

describe('db.aggregate() values', () => {
  it('receives INTEGER, REAL, TEXT, BLOB and NULL arguments as JS values', () => {
    const seen: unknown[] = [];
    db.aggregate('see', { step: (_acc, x) => void seen.push(x) });
    db.exec("CREATE TABLE kinds (v); INSERT INTO kinds VALUES (42), (2.5), ('text'), (x'00ff'), (NULL)");
    one('SELECT see(v) FROM kinds');
    expect(seen).toEqual([42, 2.5, 'text', Buffer.from([0, 255]), null]);
  });

  it('returns numbers (as REALs, as better-sqlite3 does), bigints, strings, blobs and null as SQL values', () => {
    const results: Array<[string, unknown, string]> = [
      ['as_whole', 7, 'real'],
      ['as_real', 0.5, 'real'],
      ['as_text', 'héllo', 'text'],
      ['as_blob', new Uint8Array([1, 2, 3]), 'blob'],
      ['as_null', null, 'null'],
      ['as_big', 2n ** 62n, 'integer'],
    ];
    for (const [name, value] of results) db.aggregate(name, { step: (_acc, _x) => {}, result: () => value });
    for (const [name, value, type] of results) {
      const row = db.prepare(`SELECT ${name}(x) AS v, typeof(${name}(x)) AS t FROM vacant`).safeIntegers().get() as {
        v: unknown;
        t: string;
      };
      expect(row.t).toBe(type);
      expect(row.v).toEqual(value instanceof Uint8Array ? Buffer.from(value) : value);
    }
  });

  it('passes INTEGER arguments as bigints with safeIntegers, exactly beyond 2^53', () => {
    db.aggregate('big_sum', { safeIntegers: true, start: 0n, step: (sum: bigint, x) => sum + (x as bigint) });
    expect(
      db
        .prepare('SELECT big_sum(v) FROM (SELECT 9007199254740993 AS v UNION ALL SELECT 1)')
        .safeIntegers()
        .pluck()
        .get(),
    ).toBe(9007199254740994n);
  });

  it('takes the safeIntegers default from the database at registration', async () => {
    const safe = tmp.track(await open(':memory:', { safeIntegers: true }));
    safe.aggregate('kind', { step: (_acc, x) => typeof x });
    safe.aggregate('kind_number', { safeIntegers: false, step: (_acc, x) => typeof x });
    expect(safe.prepare('SELECT kind(1) AS a, kind_number(1) AS b').get()).toEqual({ a: 'bigint', b: 'number' });
  });

  it('fails the statement with a RangeError for an INTEGER argument beyond 2^53 without safeIntegers', () => {
    db.aggregate('plain', { step: (_acc, x) => x });
    expect(() => one('SELECT plain(9007199254740993)')).toThrow(RangeError);
    expect(one('SELECT plain(3)')).toBe(3);
  });

  it('fails the statement with a TypeError when result() gives no SQL value', () => {
    db.aggregate('dated', { step: (_acc, _x) => {}, result: () => new Date() });
    expect(() => one('SELECT dated(amount) FROM sales')).toThrow(TypeError);
    db.aggregate('accumulator_object', { start: () => ({}), step: (_acc, _x) => {} });
    expect(() => one('SELECT accumulator_object(amount) FROM sales')).toThrow(TypeError);
  });
});

describe('db.aggregate() as a window function', () => {
  const sliding = 'OVER (ORDER BY rowid ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)';

  it('with inverse(), computes a sliding sum, removing rows that leave the frame', () => {
    const removed: unknown[] = [];
    db.aggregate('moving', {
      start: 0,
      step: (sum: number, x) => sum + (x as number),
      inverse: (sum: number, x) => {
        removed.push(x);
        return sum - (x as number);
      },
    });
    expect(column(`SELECT moving(amount) ${sliding} FROM sales`)).toEqual([10, 15, 25, 27, 8]);
    expect(removed).toEqual([10, 5, 20]);
  });

  it('calls result() once per row of the window and start() once per partition', () => {
    let starts = 0;
    let results = 0;
    db.aggregate('running', {
      start: () => {
        starts++;
        return 0;
      },
      step: (sum: number, x) => sum + (x as number),
      inverse: (sum: number, x) => sum - (x as number),
      result: (sum) => {
        results++;
        return sum;
      },
    });
    const sql = 'SELECT running(amount) OVER (PARTITION BY region ORDER BY rowid) FROM sales ORDER BY rowid';
    expect(column(sql)).toEqual([10, 5, 30, 12, 1]);
    expect(starts).toBe(3);
    expect(results).toBe(5);
  });

  it('without inverse(), is refused with a sliding frame', () => {
    db.aggregate('plain_sum', { start: 0, step: (sum: number, x) => sum + (x as number) });
    const error = thrown(() => db.prepare(`SELECT plain_sum(amount) ${sliding} FROM sales`).all());
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_ERROR');
  });

  it('counts its arguments from the longer of step() and inverse()', () => {
    db.aggregate('pairs', { start: 0, step: (n: number) => n + 1, inverse: (n: number, _a, _b) => n - 1 });
    expect(column(`SELECT pairs(amount, 1) ${sliding} FROM sales`)).toEqual([1, 2, 2, 2, 2]);
    expect(() => db.prepare(`SELECT pairs(amount) ${sliding} FROM sales`)).toThrow(
      'wrong number of arguments to function pairs()',
    );
  });
});

describe('db.aggregate() exceptions', () => {
  class QuotaError extends Error {
    quota = 3;
  }
  const values: Array<[string, unknown]> = [
    ['an Error subclass', new QuotaError('over quota')],
    ['a string', 'plain text'],
    ['an object', { reason: 'not an Error' }],
    ['null', null],
    ['a number', 42],
  ];

  it.each(values)('reaches the caller unchanged from start(): %s', (_, value) => {
    const calls: string[] = [];
    db.aggregate('fails', {
      start: () => {
        calls.push('start');
        throw value;
      },
      step: (_acc, _x) => void calls.push('step'),
      result: () => void calls.push('result'),
    });
    expect(thrown(() => one('SELECT fails(amount) FROM sales'))).toBe(value);
    expect(calls).toEqual(['start']);
    expect(thrown(() => one('SELECT fails(x) FROM vacant'))).toBe(value);
  });

  it.each(values)('reaches the caller unchanged from step(), which is not called again: %s', (_, value) => {
    const calls: string[] = [];
    db.aggregate('fails', {
      step: (_acc, _x) => {
        calls.push('step');
        throw value;
      },
      result: () => void calls.push('result'),
    });
    expect(thrown(() => one('SELECT fails(amount) FROM sales'))).toBe(value);
    expect(calls).toEqual(['step']);
  });

  it.each(values)('reaches the caller unchanged from inverse(): %s', (_, value) => {
    db.aggregate('fails', {
      start: 0,
      step: (n: number, _x) => n + 1,
      inverse: () => {
        throw value;
      },
    });
    expect(thrown(() => column('SELECT fails(amount) OVER (ORDER BY rowid ROWS 1 PRECEDING) FROM sales'))).toBe(value);
  });

  it.each(values)('reaches the caller unchanged from result(): %s', (_, value) => {
    db.aggregate('fails', {
      step: (_acc, _x) => {},
      result: () => {
        throw value;
      },
    });
    expect(thrown(() => one('SELECT fails(amount) FROM sales'))).toBe(value);
    expect(thrown(() => db.exec('SELECT fails(amount) FROM sales'))).toBe(value);
  });

  it('stops an iteration at the failing window row, after the rows before it', () => {
    const boom = new Error('row 3');
    let n = 0;
    db.aggregate('third_fails', {
      start: 0,
      step: (_sum, x) => {
        if (++n === 3) throw boom;
        return x;
      },
      inverse: () => {},
    });
    const seen: unknown[] = [];
    const error = thrown(() => {
      for (const v of db
        .prepare('SELECT third_fails(amount) OVER (ORDER BY rowid ROWS CURRENT ROW) FROM sales')
        .pluck()
        .iterate())
        seen.push(v);
    });
    expect(error).toBe(boom);
    expect(seen).toEqual([10, 5]);
  });

  it('leaves the database usable and does not leak into the next, unrelated failure', () => {
    db.aggregate('boom', {
      step: (_acc, _x) => {
        throw new Error('boom');
      },
    });
    expect(() => one('SELECT boom(amount) FROM sales')).toThrow('boom');
    expect(one('SELECT count(*) FROM sales')).toBe(5);
    const error = thrown(() => db.prepare('SELECT * FROM missing_table'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('no such table: missing_table');
  });

  it('rolls back the rows a failing INSERT … SELECT wrote', () => {
    db.exec('CREATE TABLE totals (v)');
    db.aggregate('boom', {
      step: (_acc, _x) => {
        throw new RangeError('no');
      },
    });
    expect(() => db.exec('INSERT INTO totals SELECT boom(amount) FROM sales')).toThrow(RangeError);
    expect(one('SELECT count(*) FROM totals')).toBe(0);
  });
});

describe('db.aggregate() options and arguments', () => {
  it('rejects a bad name or options object with a TypeError', () => {
    expect(thrown(() => db.aggregate(undefined as never, { step: () => {} })).message).toBe(
      'Expected first argument to be a string',
    );
    expect(() => db.aggregate(new String('x') as never, { step: () => {} })).toThrow(TypeError);
    expect(thrown(() => db.aggregate('x', null as never)).message).toBe(
      'Expected second argument to be an options object',
    );
    expect(thrown(() => db.aggregate('', { step: () => {} })).message).toBe(
      'User-defined function name cannot be an empty string',
    );
  });

  it('requires step() and checks that step, inverse and result are functions', () => {
    expect(thrown(() => db.aggregate('x', {} as never)).message).toBe('Missing required option "step"');
    expect(thrown(() => db.aggregate('x', { step: 1 } as never)).message).toBe(
      'Expected the "step" option to be a function',
    );
    expect(thrown(() => db.aggregate('x', { step: () => {}, inverse: true } as never)).message).toBe(
      'Expected the "inverse" option to be a function',
    );
    expect(thrown(() => db.aggregate('x', { step: () => {}, result: {} } as never)).message).toBe(
      'Expected the "result" option to be a function',
    );
  });

  it('requires boolean options to be booleans when present', () => {
    for (const key of ['safeIntegers', 'deterministic', 'directOnly', 'varargs']) {
      const error = thrown(() => db.aggregate('x', { step: () => {}, [key]: undefined }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe(`Expected the "${key}" option to be a boolean`);
    }
  });

  it('checks function.length, and allows at most 100 arguments (RangeError)', () => {
    const withLength = (length: unknown) => Object.defineProperty(() => {}, 'length', { value: length });
    expect(thrown(() => db.aggregate('x', { step: withLength(1.5) })).message).toBe(
      'Expected function.length to be a positive integer',
    );
    expect(() => db.aggregate('x', { step: () => {}, inverse: withLength(-1) })).toThrow(TypeError);
    expect(db.aggregate('hundred', { step: withLength(101) })).toBe(db);
    expect(() => db.aggregate('x', { step: withLength(102) })).toThrow(RangeError);
    expect(db.aggregate('any', { varargs: true, step: withLength('ignored') })).toBe(db);
  });

  it('registers vacant when an argument is refused', () => {
    expect(() => db.aggregate('refused', { step: () => {}, varargs: 'yes' } as never)).toThrow(TypeError);
    expect(() => db.prepare('SELECT refused()')).toThrow('no such function: refused');
  });

  it('with directOnly, cannot be used from a view', () => {
    db.aggregate('secret_sum', { directOnly: true, start: 0, step: (s: number, x) => s + (x as number) });
    expect(one('SELECT secret_sum(amount) FROM sales')).toBe(43);
    db.exec('CREATE VIEW v AS SELECT secret_sum(amount) AS s FROM sales');
    expect(() => one('SELECT s FROM v')).toThrow(/unsafe use of secret_sum\(\)/);
  });

  it('is registered per database', async () => {
    db.aggregate('here', { step: () => 1 });
    const other = tmp.track(await open(':memory:'));
    expect(() => other.prepare('SELECT here()')).toThrow('no such function: here');
  });

  it('is forgotten when it is replaced or the database closes', async () => {
    const before = registeredAggregateCount();
    const own = await open(':memory:');
    own.aggregate('a', { step: () => 1 });
    own.aggregate('a', { step: () => 2 });
    own.aggregate('b', { step: (_acc, _x) => 3, inverse: () => {} });
    expect(registeredAggregateCount()).toBe(before + 2);
    own.close();
    expect(registeredAggregateCount()).toBe(before);
  });

  it('keeps no group state once a statement finishes, is broken off or fails', () => {
    const before = liveGroupCount();
    db.aggregate('sum_w', {
      start: 0,
      step: (s: number, x) => s + (x as number),
      inverse: (s: number, x) => s - (x as number),
    });
    let n = 0;
    db.aggregate('fails_late', {
      step: (_acc, _x) => {
        if (++n === 4) throw new Error('late');
      },
    });
    column('SELECT sum_w(amount) FROM sales GROUP BY region');
    for (const _ of db.prepare('SELECT sum_w(amount) OVER (ORDER BY rowid ROWS 1 PRECEDING) FROM sales').iterate())
      break;
    for (const _ of db.prepare('SELECT region, sum_w(amount) FROM sales GROUP BY region').iterate()) break;
    expect(() => column('SELECT fails_late(amount) FROM sales GROUP BY region')).toThrow('late');
    expect(liveGroupCount()).toBe(before);
  });

  it('is a TypeError on a closed database', () => {
    db.close();
    expect(() => db.aggregate('late', { step: () => {} })).toThrow('The database connection is not open');
  });
});
