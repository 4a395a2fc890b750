import { beforeEach, describe, expect, it } from 'vitest';
import { open, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;

beforeEach(async () => {
  db = tmp.track(await open(':memory:'));
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER);
    INSERT INTO users (name, age) VALUES ('ada', 36), ('grace', 45), ('linus', 21);
  `);
});

describe('Statement.database', () => {
  it('is the database that prepared it', () => {
    expect(db.prepare('SELECT 1').database).toBe(db);
  });
});

describe('Statement.run()', () => {
  it('reports one change and the new rowid for an INSERT', () => {
    const result = db.prepare('INSERT INTO users (name) VALUES (?)').run('ken');
    expect(result).toEqual({ changes: 1, lastInsertRowid: 4 });
  });

  it('reports the number of rows an UPDATE changed', () => {
    expect(db.prepare('UPDATE users SET age = age + 1 WHERE age > 30').run().changes).toBe(2);
    expect(db.prepare('UPDATE users SET age = 0').run().changes).toBe(3);
  });

  it('reports the number of rows a DELETE removed, including a DELETE of every row', () => {
    expect(db.prepare('DELETE FROM users WHERE id = 1').run().changes).toBe(1);
    expect(db.prepare('DELETE FROM users').run().changes).toBe(2);
  });

  it('reports zero changes for an UPDATE that matches nothing', () => {
    expect(db.prepare("UPDATE users SET age = 1 WHERE name = 'nobody'").run().changes).toBe(0);
  });

  it('reports zero changes for a SELECT, even right after an INSERT', () => {
    db.prepare("INSERT INTO users (name) VALUES ('ken')").run();
    expect(db.prepare('SELECT * FROM users').run().changes).toBe(0);
  });

  it('reports zero changes for DDL run after an INSERT', () => {
    db.prepare("INSERT INTO users (name) VALUES ('ken')").run();
    expect(db.prepare('CREATE TABLE other (x)').run().changes).toBe(0);
  });

  it('applies every row of an INSERT … RETURNING when run() ignores the returned rows', () => {
    const result = db.prepare("INSERT INTO users (name) VALUES ('a'), ('b'), ('c') RETURNING id").run();
    expect(result).toEqual({ changes: 3, lastInsertRowid: 6 });
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(6);
  });

  it('can be run again with different parameters', () => {
    const insert = db.prepare('INSERT INTO users (name, age) VALUES (?, ?)');
    for (let i = 0; i < 100; i++) insert.run(`user${i}`, i);
    expect(db.prepare('SELECT count(*), sum(age) FROM users WHERE name LIKE ?').raw().get('user%')).toEqual([
      100, 4950,
    ]);
  });
});

describe('Statement.get()', () => {
  it('returns the first row as an object keyed by column name', () => {
    expect(db.prepare('SELECT id, name, age FROM users ORDER BY id').get()).toEqual({ id: 1, name: 'ada', age: 36 });
  });

  it('returns undefined when there is no row', () => {
    expect(db.prepare('SELECT * FROM users WHERE id = ?').get(99)).toBeUndefined();
  });

  it('leaves the statement reset, so the next call starts from the first row again', () => {
    const stmt = db.prepare('SELECT name FROM users ORDER BY id').pluck();
    expect(stmt.get()).toBe('ada');
    expect(stmt.get()).toBe('ada');
  });

  it('uses the name after AS, and a later duplicate column name wins', () => {
    expect(db.prepare('SELECT 1 AS a, 2 AS b, 3 AS a').get()).toEqual({ a: 3, b: 2 });
  });

  it('keeps a column named __proto__ as an ordinary property', () => {
    const row = db.prepare("SELECT 'v' AS __proto__, 1 AS x").get() as Record<string, unknown>;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('v');
    expect(row.x).toBe(1);
  });

  it('is a TypeError on a statement that returns no data', () => {
    const error = thrown(() => db.prepare("INSERT INTO users (name) VALUES ('x')").get());
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('This statement does not return data. Use run() instead of get()');
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(3);
  });
});

describe('Statement.all()', () => {
  it('returns every row in order', () => {
    expect(db.prepare('SELECT name FROM users ORDER BY id').all()).toEqual([
      { name: 'ada' },
      { name: 'grace' },
      { name: 'linus' },
    ]);
  });

  it('returns an empty array when there are no rows', () => {
    expect(db.prepare('SELECT * FROM users WHERE age > 100').all()).toEqual([]);
  });

  it('returns the rows of INSERT … RETURNING and applies the insert', () => {
    const rows = db.prepare("INSERT INTO users (name) VALUES ('x'), ('y') RETURNING id, name").all();
    expect(rows).toEqual([
      { id: 4, name: 'x' },
      { id: 5, name: 'y' },
    ]);
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(5);
  });

  it('is a TypeError on a statement that returns no data', () => {
    expect(() => db.prepare('DELETE FROM users').all()).toThrow(TypeError);
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(3);
  });
});

describe('Statement.iterate()', () => {
  function fill(n: number): void {
    db.exec('CREATE TABLE big (i INTEGER PRIMARY KEY, s TEXT)');
    db.exec(
      `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}) INSERT INTO big SELECT i, ` +
        `'row ' || i FROM c`,
    );
  }

  it('yields every row of a large result in order', () => {
    fill(100_000);
    let count = 0;
    let sum = 0;
    let ordered = true;
    for (const row of db.prepare('SELECT i, s FROM big ORDER BY i').iterate() as Iterable<{ i: number; s: string }>) {
      count++;
      if (row.i !== count || row.s !== `row ${count}`) ordered = false;
      sum += row.i;
    }
    expect(count).toBe(100_000);
    expect(sum).toBe((100_000 * 100_001) / 2);
    expect(ordered).toBe(true);
  });

  it('binds parameters like the other methods', () => {
    const names = [...db.prepare('SELECT name FROM users WHERE age > ? ORDER BY id').pluck().iterate(30)];
    expect(names).toEqual(['ada', 'grace']);
  });

  it('resets the statement when the loop breaks early, so it can run again', () => {
    fill(1000);
    const stmt = db.prepare('SELECT i FROM big ORDER BY i').pluck();
    for (const i of stmt.iterate()) {
      if (i === 3) break;
    }
    expect(stmt.all()).toHaveLength(1000);
    expect(db.inTransaction).toBe(false);
  });

  it('refuses to run the same statement while it is iterating, and allows it afterwards', () => {
    const stmt = db.prepare('SELECT id FROM users ORDER BY id').pluck();
    const iterator = stmt.iterate();
    expect(iterator.next().value).toBe(1);
    for (const call of [
      () => stmt.get(),
      () => stmt.all(),
      () => stmt.run(),
      () => [...stmt.iterate()],
      () => stmt.raw(),
    ]) {
      const error = thrown(call);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('This statement is busy executing a query');
    }
    expect(stmt.busy).toBe(true);
    expect([...iterator]).toEqual([2, 3]);
    expect(stmt.busy).toBe(false);
    expect(stmt.all()).toEqual([1, 2, 3]);
  });

  it('lets other statements read while it iterates, and refuses writes, exec and pragma as better-sqlite3 does', () => {
    db.exec('CREATE TABLE log (user_id INTEGER)');
    const insert = db.prepare('INSERT INTO log VALUES (?)');
    const countUsers = db.prepare('SELECT count(*) FROM users').pluck();
    for (const row of db.prepare('SELECT id FROM users ORDER BY id').iterate() as Iterable<{ id: number }>) {
      expect(countUsers.get()).toBe(3);
      for (const call of [() => insert.run(row.id), () => db.exec('SELECT 1'), () => db.pragma('cache_size')]) {
        const error = thrown(call);
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toBe('This database connection is busy executing a query');
      }
    }
    expect(db.prepare('SELECT count(*) FROM log').pluck().get()).toBe(0);
    insert.run(1);
    expect(db.prepare('SELECT count(*) FROM log').pluck().get()).toBe(1);
  });

  it('lets other statements write while it is iterating in unsafeMode()', () => {
    db.exec('CREATE TABLE log (user_id INTEGER)');
    const insert = db.prepare('INSERT INTO log VALUES (?)');
    const countLog = db.prepare('SELECT count(*) FROM log').pluck();
    db.unsafeMode();
    for (const row of db.prepare('SELECT id FROM users ORDER BY id').iterate() as Iterable<{ id: number }>) {
      insert.run(row.id);
      expect(countLog.get()).toBe(row.id);
    }
    db.unsafeMode(false);
    expect(db.prepare('SELECT user_id FROM log ORDER BY user_id').pluck().all()).toEqual([1, 2, 3]);
  });

  it('checks its arguments when called, not at the first next()', () => {
    const stmt = db.prepare('SELECT * FROM users WHERE id = ?');
    expect(() => stmt.iterate()).toThrow(RangeError);
    expect(() => stmt.iterate(new Date())).toThrow(TypeError);
    expect(() => db.prepare('DELETE FROM users').iterate()).toThrow(TypeError);
    expect(stmt.busy).toBe(false);
    expect(stmt.all(1)).toHaveLength(1);
  });

  it('yields nothing for an empty result', () => {
    expect([...db.prepare('SELECT * FROM users WHERE 0').iterate()]).toEqual([]);
  });

  it('is a TypeError on a statement that returns no data', () => {
    expect(() => [...db.prepare('DELETE FROM users').iterate()]).toThrow(TypeError);
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(3);
  });
});

describe('Statement row shapes', () => {
  it('pluck() returns the first column, and pluck(false) returns objects again', () => {
    const stmt = db.prepare('SELECT name, age FROM users ORDER BY id');
    expect(stmt.pluck().all()).toEqual(['ada', 'grace', 'linus']);
    expect(stmt.pluck(false).get()).toEqual({ name: 'ada', age: 36 });
  });

  it('raw() returns arrays of values in column order, including duplicate names', () => {
    const stmt = db.prepare('SELECT id, name, id FROM users ORDER BY id LIMIT 2');
    expect(stmt.raw().all()).toEqual([
      [1, 'ada', 1],
      [2, 'grace', 2],
    ]);
    expect(stmt.raw(false).get()).toEqual({ id: 1, name: 'ada' });
  });

  it('expand() nests values by table, with expressions under $', () => {
    db.exec("CREATE TABLE pets (owner INTEGER, name TEXT); INSERT INTO pets VALUES (1, 'rex')");
    const row = db
      .prepare('SELECT users.name, pets.name, 1 + 1 AS two FROM users JOIN pets ON pets.owner = users.id')
      .expand()
      .get();
    expect(row).toEqual({ users: { name: 'ada' }, pets: { name: 'rex' }, $: { two: 2 } });
  });

  it('the last mode chosen wins', () => {
    const stmt = db.prepare('SELECT name, age FROM users ORDER BY id');
    expect(stmt.pluck().raw().get()).toEqual(['ada', 36]);
    expect(stmt.raw().pluck().get()).toBe('ada');
  });

  it('rejects the row-shape toggles on a statement that returns no data', () => {
    const stmt = db.prepare('DELETE FROM users');
    expect(() => stmt.pluck()).toThrow(TypeError);
    expect(() => stmt.raw()).toThrow(TypeError);
    expect(() => stmt.expand()).toThrow(TypeError);
  });

  it('safeIntegers() makes INTEGER values and lastInsertRowid bigints for that statement only', () => {
    expect(db.prepare('SELECT age FROM users WHERE id = 1').pluck().safeIntegers().get()).toBe(36n);
    expect(db.prepare('SELECT age FROM users WHERE id = 1').pluck().get()).toBe(36);
    expect(db.prepare("INSERT INTO users (name) VALUES ('x')").safeIntegers().run().lastInsertRowid).toBe(4n);
    const stmt = db.prepare('SELECT age FROM users WHERE id = 1').pluck().safeIntegers();
    expect(stmt.safeIntegers(false).get()).toBe(36);
  });
});

describe('Statement.columns()', () => {
  it('describes table columns with name, column, table, database and declared type', () => {
    expect(db.prepare('SELECT id, name AS who FROM users').columns()).toEqual([
      { name: 'id', column: 'id', table: 'users', database: 'main', type: 'INTEGER' },
      { name: 'who', column: 'name', table: 'users', database: 'main', type: 'TEXT' },
    ]);
  });

  it('describes an expression with nulls for column, table, database and type', () => {
    expect(db.prepare('SELECT count(*) AS n, 1 + 1').columns()).toEqual([
      { name: 'n', column: null, table: null, database: null, type: null },
      { name: '1 + 1', column: null, table: null, database: null, type: null },
    ]);
  });

  it('describes a column of the temp schema and of a view', () => {
    db.exec('CREATE TEMP TABLE scratch (v REAL); CREATE VIEW adults AS SELECT name FROM users WHERE age >= 18');
    expect(db.prepare('SELECT v FROM scratch').columns()[0]).toMatchObject({
      database: 'temp',
      table: 'scratch',
      type: 'REAL',
    });
    expect(db.prepare('SELECT name FROM adults').columns()[0]).toMatchObject({
      name: 'name',
      column: 'name',
      table: 'users',
      type: 'TEXT',
    });
  });

  it('is a TypeError on a statement that returns no data', () => {
    expect(() => db.prepare('DELETE FROM users').columns()).toThrow(TypeError);
  });
});

describe('Statement.bind()', () => {
  it('binds parameters once for every later call', () => {
    const stmt = db.prepare('SELECT name FROM users WHERE age > ? ORDER BY id').pluck().bind(30);
    expect(stmt.all()).toEqual(['ada', 'grace']);
    expect(stmt.get()).toBe('ada');
  });

  it('can only be called once', () => {
    const stmt = db.prepare('SELECT ?').bind(1);
    const error = thrown(() => stmt.bind(2));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('The bind() method can only be invoked once per statement object');
  });

  it('refuses parameters on a later call of a bound statement', () => {
    const stmt = db.prepare('SELECT ? AS v').bind(1);
    expect(() => stmt.get(2)).toThrow(TypeError);
    expect(stmt.get()).toEqual({ v: 1 });
  });

  it('checks the parameters it is given like a call does', () => {
    expect(() => db.prepare('SELECT ?, ?').bind(1)).toThrow(RangeError);
  });
});

describe('Statement reader and readonly', () => {
  it.each([
    ['SELECT * FROM users', true, true],
    ['WITH x AS (SELECT 1) SELECT * FROM x', true, true],
    ['PRAGMA table_info(users)', true, true],
    ["INSERT INTO users (name) VALUES ('x')", false, false],
    ["INSERT INTO users (name) VALUES ('x') RETURNING id", true, false],
    ['UPDATE users SET age = 1', false, false],
    ['DELETE FROM users RETURNING *', true, false],
    ['CREATE TABLE t2 (x)', false, false],
    ['BEGIN', false, true],
  ])('%s → reader %s, readonly %s', (sql, reader, readonly) => {
    const stmt = db.prepare(sql);
    expect(stmt.reader).toBe(reader);
    expect(stmt.readonly).toBe(readonly);
  });

  it('keeps the SQL text as source', () => {
    expect(db.prepare('SELECT 1 AS one').source).toBe('SELECT 1 AS one');
  });
});

describe('Database.prepare()', () => {
  it('rejects more than one statement with a RangeError', () => {
    const error = thrown(() => db.prepare('SELECT 1; SELECT 2'));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('The supplied SQL string contains more than one statement');
  });

  it('rejects a second statement even if it is not valid SQL', () => {
    expect(() => db.prepare('SELECT 1; SELEC 2')).toThrow(RangeError);
  });

  it.each(['', '   ', '-- only a comment', ';'])('rejects %j (no statement) with a RangeError', (sql) => {
    const error = thrown(() => db.prepare(sql));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('The supplied SQL string contains no statements');
  });

  it('accepts a trailing semicolon, whitespace and comment', () => {
    expect(db.prepare('SELECT 1 AS x;  -- done\n').get()).toEqual({ x: 1 });
  });

  it('rejects a non-string with a TypeError', () => {
    expect(() => db.prepare(1 as never)).toThrow(TypeError);
  });
});

describe('Statements across schema changes', () => {
  it('returns a column added by ALTER TABLE from a SELECT * prepared before', () => {
    const all = db.prepare('SELECT * FROM users WHERE id = 1');
    const raw = db.prepare('SELECT * FROM users WHERE id = 1').raw();
    expect(all.get()).toEqual({ id: 1, name: 'ada', age: 36 });
    expect(raw.get()).toEqual([1, 'ada', 36]);
    db.exec("ALTER TABLE users ADD COLUMN email TEXT DEFAULT 'none'");
    expect(all.get()).toEqual({ id: 1, name: 'ada', age: 36, email: 'none' });
    expect(raw.get()).toEqual([1, 'ada', 36, 'none']);
    expect(all.columns().map((c) => c.name)).toEqual(['id', 'name', 'age', 'email']);
  });

  it('follows a renamed column', () => {
    const stmt = db.prepare('SELECT * FROM users WHERE id = 1');
    expect(stmt.get()).toEqual({ id: 1, name: 'ada', age: 36 });
    db.exec('ALTER TABLE users RENAME COLUMN age TO years');
    expect(stmt.get()).toEqual({ id: 1, name: 'ada', years: 36 });
  });

  it('reports a SqliteError when the table it reads is dropped, and works when it is back', () => {
    const stmt = db.prepare('SELECT count(*) FROM users').pluck();
    db.exec('DROP TABLE users');
    expect(() => stmt.get()).toThrow(/no such table: users/);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY)');
    expect(stmt.get()).toBe(0);
  });
});

describe('Database.exec() and pragma()', () => {
  it('exec() runs several statements and returns the database', () => {
    expect(db.exec('CREATE TABLE a (x); INSERT INTO a VALUES (1); INSERT INTO a VALUES (2);')).toBe(db);
    expect(db.prepare('SELECT sum(x) FROM a').pluck().get()).toBe(3);
  });

  it('exec() accepts an empty string and comments', () => {
    expect(() => db.exec('')).not.toThrow();
    expect(() => db.exec('-- nothing to do')).not.toThrow();
  });

  it('pragma() returns the rows of a reporting pragma', () => {
    const columns = db.pragma('table_info(users)') as Array<{ name: string; type: string }>;
    expect(columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'INTEGER'],
      ['name', 'TEXT'],
      ['age', 'INTEGER'],
    ]);
  });

  it('pragma() with simple returns the first column of the first row', () => {
    db.pragma('user_version = 7');
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    expect(db.pragma('user_version')).toEqual([{ user_version: 7 }]);
  });

  it('pragma() that sets a value and reports nothing returns an empty array', () => {
    expect(db.pragma('foreign_keys = ON')).toEqual([]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('pragma() rejects bad arguments with a TypeError', () => {
    expect(() => db.pragma(1 as never)).toThrow(TypeError);
    expect(() => db.pragma('user_version', { simple: 'yes' } as never)).toThrow(TypeError);
  });
});
