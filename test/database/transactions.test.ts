import { beforeEach, describe, expect, it } from 'vitest';
import { open, SqliteError, type Database, type JournalMode } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;

beforeEach(async () => {
  db = tmp.track(await open(tmp.file()));
  db.exec('CREATE TABLE t (x INTEGER UNIQUE)');
});

const count = (on: Database = db) => on.prepare('SELECT count(*) FROM t').pluck().get();
const values = (on: Database = db) => on.prepare('SELECT x FROM t ORDER BY x').pluck().all();

describe('db.transaction(fn)', () => {
  it('is a TypeError on a closed database, as better-sqlite3 prepares its statements at once', () => {
    db.close();
    expect(() => db.transaction(() => 1)).toThrow(new TypeError('The database connection is not open'));
  });

  it('has default, deferred, immediate and exclusive variants, each carrying all four and the database', () => {
    const trx = db.transaction(() => db.inTransaction);
    expect(trx.default).toBe(trx);
    for (const variant of [trx.default, trx.deferred, trx.immediate, trx.exclusive]) {
      expect(variant.database).toBe(db);
      expect(variant.default).toBe(trx.default);
      expect(variant.deferred).toBe(trx.deferred);
      expect(variant.immediate).toBe(trx.immediate);
      expect(variant.exclusive).toBe(trx.exclusive);
      expect(variant()).toBe(true);
    }
    expect(new Set([trx.default, trx.deferred, trx.immediate, trx.exclusive]).size).toBe(4);
    expect(Object.keys(trx)).toEqual(['database']);
  });

  it('commits when fn returns, and returns what fn returned', () => {
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const insertMany = db.transaction((xs: number[]) => {
      for (const x of xs) insert.run(x);
      return xs.length;
    });
    expect(insertMany([1, 2, 3])).toBe(3);
    expect(values()).toEqual([1, 2, 3]);
    expect(db.inTransaction).toBe(false);
  });

  it('passes its arguments and this to fn', () => {
    const fn = db.transaction(function (this: { tag: string }, a: number, b: string) {
      return `${this.tag}:${a}:${b}`;
    });
    expect(fn.call({ tag: 'ctx' }, 1, 'two')).toBe('ctx:1:two');
  });

  it('rolls back when fn throws, and rethrows the same error', () => {
    const failure = new Error('stop');
    const fn = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      db.prepare('INSERT INTO t VALUES (2)').run();
      throw failure;
    });
    expect(thrown(fn)).toBe(failure);
    expect(count()).toBe(0);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls back when a statement inside fails, rethrows the SqliteError, and the database stays usable', () => {
    const fn = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      db.prepare('INSERT INTO t VALUES (1)').run();
    });
    const error = thrown(fn);
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(count()).toBe(0);
    db.transaction(() => db.prepare('INSERT INTO t VALUES (5)').run())();
    expect(values()).toEqual([5]);
  });

  it('rolls back and rethrows when COMMIT itself fails (a deferred foreign key)', () => {
    db.exec('PRAGMA foreign_keys = ON; CREATE TABLE child (p INTEGER REFERENCES t (x) DEFERRABLE INITIALLY DEFERRED)');
    const fn = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      db.prepare('INSERT INTO child VALUES (42)').run();
    });
    const error = thrown(fn);
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(db.inTransaction).toBe(false);
    expect(count()).toBe(0);
  });

  it('reports inTransaction true inside fn', () => {
    let inside: boolean | undefined;
    db.transaction(() => {
      inside = db.inTransaction;
    })();
    expect(inside).toBe(true);
    expect(db.inTransaction).toBe(false);
  });

  it('can be called many times', () => {
    const add = db.transaction((x: number) => db.prepare('INSERT INTO t VALUES (?)').run(x));
    for (let i = 0; i < 50; i++) add(i);
    expect(count()).toBe(50);
  });

  it('can run once per row inside an iterate() loop in unsafeMode(), a failing call rolling back its row only', () => {
    db.exec('CREATE TABLE src (i); INSERT INTO src VALUES (1), (2), (3), (4)');
    db.unsafeMode();
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const move = db.transaction((i: number) => {
      insert.run(i);
      if (i === 2) throw new Error('skip');
    });
    const seen: number[] = [];
    for (const i of db.prepare('SELECT i FROM src ORDER BY i').pluck().iterate() as Iterable<number>) {
      seen.push(i);
      if (i === 2) expect(() => move(i)).toThrow('skip');
      else move(i);
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(values()).toEqual([1, 3, 4]);
  });

  it('rejects a promise returned by fn with a TypeError and rolls back', () => {
    const fn = db.transaction(async () => {
      db.prepare('INSERT INTO t VALUES (1)').run();
    });
    const error = thrown(fn);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Transaction functions cannot return a promise');
    expect(count()).toBe(0);
    expect(db.inTransaction).toBe(false);
  });

  it('rejects a returned thenable the same way', () => {
    const fn = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      return { then() {} };
    });
    expect(fn).toThrow(TypeError);
    expect(count()).toBe(0);
  });

  it('rejects a non-function with a TypeError', () => {
    expect(() => db.transaction('BEGIN' as never)).toThrow(TypeError);
  });
});

describe('nested transaction functions', () => {
  it('commit together when both return', () => {
    const inner = db.transaction(() => db.prepare('INSERT INTO t VALUES (2)').run());
    const outer = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      inner();
      expect(db.inTransaction).toBe(true);
    });
    outer();
    expect(values()).toEqual([1, 2]);
  });

  it('undo only the inner work when the outer catches the inner throw, and commit the outer', () => {
    const inner = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (2)').run();
      throw new Error('inner failed');
    });
    const outer = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      expect(inner).toThrow('inner failed');
      expect(db.inTransaction).toBe(true);
      db.prepare('INSERT INTO t VALUES (3)').run();
    });
    outer();
    expect(values()).toEqual([1, 3]);
  });

  it('undo the inner work too when the outer throws after the inner returned', () => {
    const inner = db.transaction(() => db.prepare('INSERT INTO t VALUES (2)').run());
    const outer = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      inner();
      throw new Error('outer failed');
    });
    expect(outer).toThrow('outer failed');
    expect(count()).toBe(0);
  });

  it('nest three deep, each level undoing only its own work', () => {
    const level3 = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (3)').run();
      throw new Error('3');
    });
    const level2 = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (2)').run();
      expect(level3).toThrow('3');
      db.prepare('INSERT INTO t VALUES (22)').run();
    });
    const level1 = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      level2();
    });
    level1();
    expect(values()).toEqual([1, 2, 22]);
  });

  it("use a savepoint inside a transaction begun with exec('BEGIN')", () => {
    db.exec('BEGIN');
    db.prepare('INSERT INTO t VALUES (1)').run();
    expect(
      db.transaction(() => {
        db.prepare('INSERT INTO t VALUES (2)').run();
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(db.inTransaction).toBe(true);
    db.exec('COMMIT');
    expect(values()).toEqual([1]);
  });
});

describe('transaction kinds', () => {
  async function second(file: string, journalMode?: JournalMode): Promise<Database> {
    return tmp.track(await open(file, { timeout: 0, ...(journalMode === undefined ? {} : { journalMode }) }));
  }

  it('.deferred (the default) takes no lock until the first statement', async () => {
    const other = await second(db.name);
    const insertFromOther = (x: number) => () => {
      other.prepare('INSERT INTO t VALUES (?)').run(x);
    };
    db.transaction(insertFromOther(100))();
    db.transaction(insertFromOther(101)).deferred();
    expect(values()).toEqual([100, 101]);
  });

  it(".immediate takes the write lock at BEGIN: another connection's write gets SQLITE_BUSY", async () => {
    const other = await second(db.name);
    let blocked: any;
    let readable: unknown;
    db.transaction(() => {
      blocked = thrown(() => other.prepare('INSERT INTO t VALUES (100)').run());
      readable = count(other);
    }).immediate();
    expect(blocked).toBeInstanceOf(SqliteError);
    expect(blocked.code).toMatch(/^SQLITE_BUSY/);
    expect(readable).toBe(0);
    other.prepare('INSERT INTO t VALUES (100)').run();
    expect(values()).toEqual([100]);
  });

  it(".exclusive in WAL mode blocks another connection's writes", async () => {
    const other = await second(db.name);
    let blocked: any;
    db.transaction(() => {
      blocked = thrown(() => other.prepare('INSERT INTO t VALUES (100)').run());
    }).exclusive();
    expect(blocked.code).toMatch(/^SQLITE_BUSY/);
  });

  it(".exclusive in rollback-journal mode blocks another connection's reads too; .immediate does not", async () => {
    const file = tmp.file('rollback.db');
    const main = tmp.track(await open(file, { journalMode: 'delete' }));
    main.exec('CREATE TABLE t (x INTEGER UNIQUE); INSERT INTO t VALUES (1)');
    const other = await second(file, 'delete');

    let readDuringImmediate: unknown;
    main
      .transaction(() => {
        readDuringImmediate = count(other);
      })
      .immediate();
    expect(readDuringImmediate).toBe(1);

    let readDuringExclusive: any;
    main
      .transaction(() => {
        main.prepare('SELECT 1').get();
        readDuringExclusive = thrown(() => count(other));
      })
      .exclusive();
    expect(readDuringExclusive).toBeInstanceOf(SqliteError);
    expect(readDuringExclusive.code).toMatch(/^SQLITE_BUSY/);
    expect(count(other)).toBe(1);
  });

  it('a deferred transaction that only read lets another connection write', async () => {
    const other = await second(db.name);
    let wrote: unknown;
    db.transaction(() => {
      count();
      wrote = other.prepare('INSERT INTO t VALUES (7)').run().changes;
    })();
    expect(wrote).toBe(1);
  });

  it('a rolled-back .immediate transaction releases the lock', async () => {
    const other = await second(db.name);
    expect(
      db.transaction(() => {
        throw new Error('abort');
      }).immediate,
    ).toThrow('abort');
    expect(other.prepare('INSERT INTO t VALUES (8)').run().changes).toBe(1);
  });
});
