import fs from 'node:fs';
import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { Database, open, SqliteError } from '../../core/index.ts';
import { openNative } from '../support/better-sqlite3.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection, thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;

beforeEach(async () => {
  db = tmp.track(await open(':memory:'));
  db.exec(`
    PRAGMA foreign_keys = ON;
    CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT NOT NULL, age INTEGER CHECK (age >= 0));
    CREATE TABLE k (code TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER REFERENCES u (id));
    INSERT INTO u VALUES (1, 'a@x', 'ada', 36);
    INSERT INTO k VALUES ('one');
  `);
});

/** A CTE `c(value)` of the integers 1…n (this build has no generate_series). */
const series = (n: number) =>
  `WITH RECURSIVE c(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM c WHERE value < ${n})`;

function expectUsable(): void {
  expect(db.prepare('SELECT count(*) FROM u').pluck().get()).toBe(1);
  expect(db.inTransaction).toBe(false);
}

describe('SqliteError', () => {
  it("can be called with or without new, as better-sqlite3's, and checks its code", () => {
    for (const error of [
      SqliteError('no such table: t', 'SQLITE_ERROR', 1),
      new SqliteError('no such table: t', 'SQLITE_ERROR', 1),
    ]) {
      expect(error).toBeInstanceOf(SqliteError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('SqliteError');
      expect([error.message, error.code, error.rawCode]).toEqual(['no such table: t', 'SQLITE_ERROR', 1]);
      expect(typeof error.stack).toBe('string');
    }
    expect(SqliteError(123 as never, 'SQLITE_ERROR').message).toBe('123');
    expect(() => SqliteError('x', 5 as never)).toThrow(new TypeError('Expected second argument to be a string'));
    class Mine extends SqliteError {}
    expect(new Mine('m', 'SQLITE_BUSY')).toBeInstanceOf(SqliteError);
  });

  it("is an Error named SqliteError with the extended code name, the number and SQLite's message", () => {
    const error = thrown(() => db.prepare("INSERT INTO u (email, name) VALUES ('a@x', 'dup')").run());
    expect(error).toBeInstanceOf(SqliteError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SqliteError');
    expect(error.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(error.rawCode).toBe(2067);
    expect(error.message).toBe('UNIQUE constraint failed: u.email');
    expect(String(error)).toBe('SqliteError: UNIQUE constraint failed: u.email');
    expect(error.stack).toContain('UNIQUE constraint failed');
    expectUsable();
  });

  it("prints as better-sqlite3's does: the class itself is named SqliteError", () => {
    const error = thrown(() => db.prepare("INSERT INTO u (email, name) VALUES ('a@x', 'dup')").run());
    expect(SqliteError.name).toBe('SqliteError');
    expect(error.constructor.name).toBe('SqliteError');
    // What console.error shows a user: the header line, then the code among the own properties.
    const printed = inspect(error);
    expect(printed.split('\n')[0]).toBe('SqliteError: UNIQUE constraint failed: u.email');
    expect(printed).toContain("code: 'SQLITE_CONSTRAINT_UNIQUE'");
    const native = openNative(':memory:');
    native.exec("CREATE TABLE u (email TEXT UNIQUE); INSERT INTO u VALUES ('a@x')");
    const nativeError = thrown(() => native.prepare("INSERT INTO u VALUES ('a@x')").run());
    native.close();
    expect(inspect(nativeError).split('\n')[0]).toBe('SqliteError: UNIQUE constraint failed: u.email');
    expect(nativeError.constructor.name).toBe(error.constructor.name);
  });

  it("is reachable as Database.SqliteError, as better-sqlite3's is from its default export", () => {
    expect(Database.SqliteError).toBe(SqliteError);
    const error = thrown(() => db.prepare('SELECT * FROM missing'));
    expect(error).toBeInstanceOf(Database.SqliteError);
    expect(new Database.SqliteError('m', 'SQLITE_BUSY', 5)).toBeInstanceOf(SqliteError);
  });

  it.each([
    [
      'PRIMARYKEY',
      "INSERT INTO k VALUES ('one')",
      'SQLITE_CONSTRAINT_PRIMARYKEY',
      1555,
      'UNIQUE constraint failed: k.code',
    ],
    [
      'rowid PRIMARYKEY',
      "INSERT INTO u (id, name) VALUES (1, 'x')",
      'SQLITE_CONSTRAINT_PRIMARYKEY',
      1555,
      'UNIQUE constraint failed: u.id',
    ],
    [
      'NOTNULL',
      'INSERT INTO u (email) VALUES (NULL)',
      'SQLITE_CONSTRAINT_NOTNULL',
      1299,
      'NOT NULL constraint failed: u.name',
    ],
    [
      'FOREIGNKEY',
      'INSERT INTO posts (author) VALUES (42)',
      'SQLITE_CONSTRAINT_FOREIGNKEY',
      787,
      'FOREIGN KEY constraint failed',
    ],
    [
      'CHECK',
      "INSERT INTO u (name, age) VALUES ('x', -1)",
      'SQLITE_CONSTRAINT_CHECK',
      275,
      'CHECK constraint failed: age >= 0',
    ],
  ])("reports a %s violation with its extended code and SQLite's message", (_, sql, code, rawCode, message) => {
    const error = thrown(() => db.prepare(sql).run());
    expect(error).toBeInstanceOf(SqliteError);
    expect({ code: error.code, rawCode: error.rawCode, message: error.message }).toEqual({ code, rawCode, message });
    expectUsable();
  });

  it('reports the same error from exec()', () => {
    const error = thrown(() => db.exec("INSERT INTO u (email, name) VALUES ('a@x', 'dup')"));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(error.message).toBe('UNIQUE constraint failed: u.email');
    expectUsable();
  });

  it('reports a constraint failure from a row in the middle of a statement and undoes its earlier rows', () => {
    const error = thrown(() => db.exec("INSERT INTO u (email, name) VALUES ('b@x', 'b'), ('a@x', 'dup')"));
    expect(error.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expectUsable();
  });
});

describe('invalid SQL', () => {
  it("is a SqliteError SQLITE_ERROR with SQLite's syntax message", () => {
    const error = thrown(() => db.prepare('SELEC 1'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_ERROR');
    expect(error.rawCode).toBe(1);
    expect(error.message).toBe('near "SELEC": syntax error');
    expectUsable();
  });

  it("is SQLite's own error after a refused multi-statement prepare, with an authorizer installed", () => {
    db.setAuthorizer(() => 0);
    expect(thrown(() => db.prepare('SELECT 1; SELECT 2')).message).toBe(
      'The supplied SQL string contains more than one statement',
    );
    const error = thrown(() => db.prepare('SELEC 1'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('near "SELEC": syntax error');
    db.setAuthorizer(null);
    expectUsable();
  });

  it('names a missing table or column', () => {
    expect(thrown(() => db.prepare('SELECT * FROM nope')).message).toBe('no such table: nope');
    expect(thrown(() => db.prepare('SELECT nope FROM u')).message).toBe('no such column: nope');
    expect(thrown(() => db.exec('SELECT * FROM nope')).message).toBe('no such table: nope');
    expectUsable();
  });

  it('from exec() stops at the failing statement and keeps the earlier ones', () => {
    expect(() => db.exec("INSERT INTO k VALUES ('two'); SELEC; INSERT INTO k VALUES ('three')")).toThrow(SqliteError);
    expect(db.prepare('SELECT code FROM k ORDER BY code').pluck().all()).toEqual(['one', 'two']);
  });

  it('an incomplete statement is an error', () => {
    expect(thrown(() => db.prepare('SELECT * FROM')).code).toBe('SQLITE_ERROR');
  });
});

describe('a closed database', () => {
  const NOT_OPEN = 'The database connection is not open';

  it('refuses every database method with a TypeError', async () => {
    db.close();
    const calls: Array<[string, () => unknown]> = [
      ['prepare', () => db.prepare('SELECT 1')],
      ['exec', () => db.exec('SELECT 1')],
      ['pragma', () => db.pragma('user_version')],
      ['function', () => db.function('f', () => 1)],
      ['serialize', () => db.serialize()],
      ['transaction call', () => db.transaction(() => 1)()],
    ];
    for (const [name, call] of calls) {
      const error = thrown(call);
      expect(error, name).toBeInstanceOf(TypeError);
      expect(error.message, name).toBe(NOT_OPEN);
    }
    const backup = await rejection(db.backup(tmp.file('copy.db')));
    expect(backup).toBeInstanceOf(TypeError);
    expect(backup.message).toBe(NOT_OPEN);
  });

  it('refuses every statement method with a TypeError', () => {
    const select = db.prepare('SELECT * FROM u WHERE id = ?');
    const insert = db.prepare('INSERT INTO k VALUES (?)');
    db.close();
    const calls: Array<[string, () => unknown]> = [
      ['run', () => insert.run('x')],
      ['get', () => select.get(1)],
      ['all', () => select.all(1)],
      ['iterate', () => [...select.iterate(1)]],
      ['columns', () => select.columns()],
      ['bind', () => select.bind(1)],
    ];
    for (const [name, call] of calls) {
      const error = thrown(call);
      expect(error, name).toBeInstanceOf(TypeError);
      expect(error.message, name).toBe(NOT_OPEN);
    }
  });

  it('is refused while an iteration is in progress, which goes on; closing works once it ends', () => {
    const iterator = db
      .prepare(`${series(3)} SELECT value FROM c`)
      .pluck()
      .iterate();
    expect(iterator.next().value).toBe(1);
    const error = thrown(() => db.close());
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('This database connection is busy executing a query');
    expect(db.open).toBe(true);
    expect([...iterator]).toEqual([2, 3]);
    db.close();
    expect(db.open).toBe(false);
  });
});

describe('loadExtension()', () => {
  it('is a TypeError that says why it cannot work here, and the database stays usable', () => {
    const error = thrown(() => db.loadExtension('./my-extension.so'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('WebAssembly');
    expect(() => db.loadExtension(5 as never)).toThrow('Expected first argument to be a string');
    expect(db.prepare('SELECT 1').pluck().get()).toBe(1);
  });
});

describe('the database after an error', () => {
  it('stays usable after each kind of error', () => {
    const failures: Array<() => unknown> = [
      () => db.prepare('SELEC'),
      () => db.prepare('SELECT 1; SELECT 2'),
      () => db.prepare('SELECT ?').get(new Date()),
      () => db.prepare('SELECT ?').get(1, 2),
      () => db.prepare('SELECT 9223372036854775807').get(),
      () => db.prepare("INSERT INTO k VALUES ('one')").run(),
      () => db.exec('BEGIN; BEGIN'),
    ];
    for (const fail of failures) {
      expect(fail).toThrow();
      if (db.inTransaction) db.exec('ROLLBACK');
      expectUsable();
    }
  });

  it('keeps an explicit transaction open after a failing statement inside it', () => {
    db.exec("BEGIN; INSERT INTO k VALUES ('two')");
    expect(() => db.exec("INSERT INTO k VALUES ('one')")).toThrow(SqliteError);
    expect(db.inTransaction).toBe(true);
    db.exec('COMMIT');
    expect(db.prepare('SELECT count(*) FROM k').pluck().get()).toBe(2);
  });
});

describe('a user function that throws', () => {
  it('gives the caller that exact error object, and the database stays usable', () => {
    const boom = new Error('kaboom');
    db.function('boom', () => {
      throw boom;
    });
    expect(thrown(() => db.prepare('SELECT boom()').get())).toBe(boom);
    expect(thrown(() => db.prepare('SELECT boom()').all())).toBe(boom);
    expect(thrown(() => [...db.prepare('SELECT boom()').iterate()])).toBe(boom);
    expect(thrown(() => db.prepare('INSERT INTO k VALUES (boom())').run())).toBe(boom);
    expect(thrown(() => db.exec('SELECT boom()'))).toBe(boom);
    expectUsable();
    expect(db.prepare('SELECT count(*) FROM k').pluck().get()).toBe(1);
  });

  it("keeps the error's class and properties", () => {
    class HttpError extends Error {
      status = 503;
    }
    db.function('fetchy', () => {
      throw new HttpError('upstream down');
    });
    const error = thrown(() => db.prepare('SELECT fetchy()').get());
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(503);
  });

  it('throwing a value that is not an Error gives the caller that very value', () => {
    for (const value of [{ yup: 'ok' }, 'plain string', 42, null]) {
      db.function('shout', () => {
        throw value;
      });
      let caught: unknown = 'nothing was thrown';
      try {
        db.prepare('SELECT shout()').get();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBe(value);
      expectUsable();
    }
  });

  it('throws on the second row: earlier rows of the statement are undone', () => {
    db.function('failOn', (n) => {
      if (n === 2) throw new RangeError('two');
      return n;
    });
    db.exec('CREATE TABLE log (n)');
    expect(() => db.exec(`INSERT INTO log ${series(3)} SELECT failOn(value) FROM c`)).toThrow(RangeError);
    expect(db.prepare('SELECT count(*) FROM log').pluck().get()).toBe(0);
  });

  it('does not leak its error into the next, unrelated failure', () => {
    db.function('boom', () => {
      throw new Error('kaboom');
    });
    expect(() => db.prepare('SELECT boom()').get()).toThrow('kaboom');
    const next = thrown(() => db.prepare("INSERT INTO k VALUES ('one')").run());
    expect(next).toBeInstanceOf(SqliteError);
    expect(next.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
  });
});

describe('a file that is not a database', () => {
  it('fails to open with SQLITE_NOTADB and leaves the file as it was', async () => {
    const file = tmp.file('notes.txt');
    const bytes = Buffer.concat([
      Buffer.from('these are my notes, not a database\n'.repeat(200)),
      Buffer.alloc(1000, 0xab),
    ]);
    fs.writeFileSync(file, bytes);
    const mtime = fs.statSync(file).mtimeMs;

    const error = await rejection(open(file));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_NOTADB');
    expect(error.message).toBe('file is not a database');

    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    for (const suffix of ['-wal', '-shm', '-journal']) expect(fs.existsSync(file + suffix), suffix).toBe(false);
  });

  it('fails the same way in rollback-journal mode and read-only', async () => {
    const file = tmp.file('garbage.db');
    const bytes = Buffer.alloc(8192, 0x5a);
    fs.writeFileSync(file, bytes);
    expect((await rejection(open(file, { journalMode: 'delete' }))).code).toBe('SQLITE_NOTADB');
    const readonly = tmp.track(await open(file, { readonly: true }));
    expect(thrown(() => readonly.prepare('SELECT * FROM sqlite_schema')).code).toBe('SQLITE_NOTADB');
    readonly.close();
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('a UTF-16 database made by another SQLite fails with a SqliteError and is left as it was', async () => {
    // The sqlite-wasm build omits UTF-16 support (SQLITE_OMIT_UTF16), so such a file cannot be read.
    const file = tmp.file('utf16.db');
    const native = openNative(file);
    native.pragma("encoding = 'UTF-16le'");
    native.exec("CREATE TABLE t (s TEXT); INSERT INTO t VALUES ('héllo')");
    native.close();
    const bytes = fs.readFileSync(file);
    const error = await rejection(open(file));
    expect(error).toBeInstanceOf(SqliteError);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('can open the same path again after the file is replaced by a database', async () => {
    const file = tmp.file('swap.db');
    fs.writeFileSync(file, 'not sqlite at all, sorry'.repeat(100));
    await rejection(open(file));
    fs.rmSync(file);
    const db2 = tmp.track(await open(file));
    db2.exec('CREATE TABLE t (x)');
    expect(db2.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
  });
});
