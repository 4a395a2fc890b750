import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open, SqliteError, type JournalMode } from '../../core/index.ts';
import { loadEngine } from '../../core/sqlite3/engine.ts';
import { MemoryVfs } from '../../core/vfs/index.ts';
import { openNative } from '../support/better-sqlite3.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection } from './thrown.ts';

const tmp = useTempDir();

describe('open(path)', () => {
  it('creates a database file at the path, in the standard SQLite format', async () => {
    const file = tmp.file('new.db');
    expect(fs.existsSync(file)).toBe(false);
    const db = tmp.track(await open(file));
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
    const header = fs.readFileSync(file).subarray(0, 16).toString('latin1');
    expect(header).toBe('SQLite format 3\0');
  });

  it('reopens a file with the rows a previous connection committed', async () => {
    const file = tmp.file();
    const first = tmp.track(await open(file));
    first.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('kept')");
    first.close();
    const second = tmp.track(await open(file));
    expect(second.prepare('SELECT x FROM t').pluck().all()).toEqual(['kept']);
  });

  it('opens a private in-memory database for :memory:', async () => {
    const a = tmp.track(await open(':memory:'));
    const b = tmp.track(await open(':memory:'));
    a.exec('CREATE TABLE only_in_a (x)');
    expect(a.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'only_in_a'").pluck().get()).toBe(1);
    expect(b.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'only_in_a'").pluck().get()).toBe(0);
  });

  it('opens a private temporary database for an empty path', async () => {
    const db = tmp.track(await open(''));
    expect(db.memory).toBe(true);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    expect(db.prepare('SELECT x FROM t').pluck().get()).toBe(1);
  });

  it("fails with better-sqlite3's TypeError when the directory does not exist, and creates nothing", async () => {
    const error = await rejection(open(path.join(tmp.dir, 'missing-dir', 'x.db')));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Cannot open database because the directory does not exist');
    expect(fs.existsSync(path.join(tmp.dir, 'missing-dir'))).toBe(false);
  });

  it('fails with SQLITE_CANTOPEN when the path is a directory', async () => {
    const error = await rejection(open(tmp.dir));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toMatch(/^SQLITE_CANTOPEN/);
  });
});

describe('open() foreign keys', () => {
  it('enforces foreign keys by default, as better-sqlite3 does, and not with foreignKeys: false', async () => {
    const schema = 'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id))';
    const native = openNative(':memory:');
    native.exec(schema);
    expect(() => native.prepare('INSERT INTO child VALUES (1)').run()).toThrow(/FOREIGN KEY/);
    native.close();

    const db = tmp.track(await open(tmp.file()));
    db.exec(schema);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => db.prepare('INSERT INTO child VALUES (1)').run()).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }),
    );

    const off = tmp.track(await open(':memory:', { foreignKeys: false }));
    off.exec(schema);
    expect(off.prepare('INSERT INTO child VALUES (1)').run().changes).toBe(1);
    await expect(open(':memory:', { foreignKeys: 'yes' as unknown as boolean })).rejects.toThrow(
      'Expected the "foreignKeys" option to be a boolean',
    );
  });
});

describe('open() page size', () => {
  it('gives new file and in-memory databases 4 KiB pages, as native SQLite does', async () => {
    const file = tmp.track(await open(tmp.file('pages.db')));
    file.exec('CREATE TABLE t (x)');
    expect(file.pragma('page_size', { simple: true })).toBe(4096);
    const memory = tmp.track(await open(':memory:'));
    expect(memory.pragma('page_size', { simple: true })).toBe(4096);
  });

  it('keeps the page size of an existing database', async () => {
    const path = tmp.file('big-pages.db');
    const native = openNative(path);
    native.exec("PRAGMA page_size = 16384; CREATE TABLE t (x); INSERT INTO t VALUES ('kept')");
    native.close();
    const db = tmp.track(await open(path));
    expect(db.pragma('page_size', { simple: true })).toBe(16384);
    expect(db.prepare('SELECT x FROM t').pluck().get()).toBe('kept');
  });
});

describe('open() properties', () => {
  it('reports name, memory, readonly, open and inTransaction for a file', async () => {
    const file = tmp.file();
    const db = tmp.track(await open(file));
    expect(db.name).toBe(file);
    expect(db.memory).toBe(false);
    expect(db.readonly).toBe(false);
    expect(db.open).toBe(true);
    expect(db.inTransaction).toBe(false);
  });

  it('reports memory true and the name :memory: for an in-memory database', async () => {
    const db = tmp.track(await open(':memory:'));
    expect(db.name).toBe(':memory:');
    expect(db.memory).toBe(true);
    expect(db.readonly).toBe(false);
  });

  it('reports inTransaction while a transaction is open', async () => {
    const db = tmp.track(await open(':memory:'));
    db.exec('BEGIN');
    expect(db.inTransaction).toBe(true);
    db.exec('COMMIT');
    expect(db.inTransaction).toBe(false);
  });

  it('reports open false after close(), and close() may be called twice', async () => {
    const db = tmp.track(await open(':memory:'));
    db.exec('BEGIN');
    db.close();
    expect(db.open).toBe(false);
    expect(db.inTransaction).toBe(false);
    expect(() => db.close()).not.toThrow();
  });

  it('rolls back an open transaction when closed', async () => {
    const file = tmp.file();
    const db = tmp.track(await open(file));
    db.exec('CREATE TABLE t (x)');
    db.exec('BEGIN; INSERT INTO t VALUES (1)');
    db.close();
    const again = tmp.track(await open(file));
    expect(again.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
  });
});

describe('open() readonly', () => {
  it('reads an existing file and refuses writes with SQLITE_READONLY', async () => {
    const file = tmp.file();
    const writer = tmp.track(await open(file));
    writer.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    writer.close();

    const db = tmp.track(await open(file, { readonly: true }));
    expect(db.readonly).toBe(true);
    expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual([1]);
    let error: any;
    try {
      db.exec('INSERT INTO t VALUES (2)');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toMatch(/^SQLITE_READONLY/);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
  });

  it('does not create a missing file', async () => {
    const file = tmp.file('absent.db');
    const error = await rejection(open(file, { readonly: true }));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toMatch(/^SQLITE_CANTOPEN/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('rejects a readonly :memory: database with a TypeError', async () => {
    const error = await rejection(open(':memory:', { readonly: true }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('In-memory/temporary databases cannot be readonly');
  });
});

describe('open() fileMustExist', () => {
  it('fails with SQLITE_CANTOPEN and creates nothing when the file is missing', async () => {
    const file = tmp.file('absent.db');
    const error = await rejection(open(file, { fileMustExist: true }));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toMatch(/^SQLITE_CANTOPEN/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('opens a file that exists', async () => {
    const file = tmp.file();
    tmp
      .track(await open(file))
      .exec('CREATE TABLE t (x)')
      .close();
    const db = tmp.track(await open(file, { fileMustExist: true }));
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
  });
});

describe('open() journal mode', () => {
  it('uses WAL for a file by default', async () => {
    const db = tmp.track(await open(tmp.file()));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it("keeps SQLite's memory journal for :memory:", async () => {
    const db = tmp.track(await open(':memory:'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('memory');
  });

  it.each(['delete', 'truncate', 'persist', 'memory', 'off', 'wal'] satisfies JournalMode[])(
    'sets journalMode %s on a file and the database works in it',
    async (mode) => {
      const db = tmp.track(await open(tmp.file(), { journalMode: mode }));
      expect(db.pragma('journal_mode', { simple: true })).toBe(mode);
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
      expect(db.prepare('SELECT sum(x) FROM t').pluck().get()).toBe(3);
    },
  );

  it('keeps the memory journal for :memory: whatever journalMode asks for', async () => {
    const db = tmp.track(await open(':memory:', { journalMode: 'wal' }));
    expect(db.pragma('journal_mode', { simple: true })).toBe('memory');
  });

  it('does not touch the journal mode of a readonly connection', async () => {
    const file = tmp.file();
    tmp
      .track(await open(file, { journalMode: 'delete' }))
      .exec('CREATE TABLE t (x)')
      .close();
    const db = tmp.track(await open(file, { readonly: true }));
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
  });

  it('fails with SQLITE_BUSY when another connection keeps the file out of WAL mode', async () => {
    const file = tmp.file();
    const first = tmp.track(await open(file));
    first.exec('CREATE TABLE t (x)');
    const error = await rejection(open(file, { journalMode: 'delete', timeout: 0 }));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_BUSY');
    expect(first.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('leaves no -wal file behind after a WAL database is closed', async () => {
    const file = tmp.file();
    const db = tmp.track(await open(file));
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });
});

describe('open() vfs', () => {
  it('opens through the VFS named by the vfs option, leaving the disk alone', async () => {
    const vfs = MemoryVfs.create(await loadEngine());
    vfs.filesystem.mkdir(tmp.dir);
    const file = tmp.file('in-memory-vfs.db');
    const db = tmp.track(await open(file, { vfs: vfs.name }));
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(fs.existsSync(file)).toBe(false);
    expect(vfs.filesystem.files()).toContain(file);
    db.close();
    const again = tmp.track(await open(file, { vfs: vfs.name, fileMustExist: true }));
    expect(again.prepare('SELECT x FROM t').pluck().get()).toBe(1);
  });

  it('fails with a SqliteError for a VFS name that is not registered', async () => {
    const error = await rejection(open(tmp.file(), { vfs: 'no-such-vfs' }));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('no such vfs: no-such-vfs');
  });

  it('rejects a non-string vfs option with a TypeError', async () => {
    const error = await rejection(open(':memory:', { vfs: 1 } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Expected the "vfs" option to be a string');
  });
});

describe('open() argument checks', () => {
  it.each([-1, 1.5, '100', Number.NaN, Infinity, undefined, null])(
    'rejects timeout %s with the one wording',
    async (timeout) => {
      const error = await rejection(open(':memory:', { timeout } as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('Expected the "timeout" option to be a positive integer');
    },
  );

  it('rejects a timeout over 2^31 - 1 with a RangeError', async () => {
    const error = await rejection(open(':memory:', { timeout: 2 ** 31 }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Option "timeout" cannot be greater than 2147483647');
  });

  it('rejects an unknown option, a misspelled readOnly, and a boolean option given as undefined', async () => {
    const unknown = await rejection(open(':memory:', { jurnalMode: 'wal' } as never));
    expect(unknown).toBeInstanceOf(TypeError);
    expect(unknown.message).toBe('Unknown option "jurnalMode"');
    const misspelled = await rejection(open(tmp.file('x.db'), { readOnly: true } as never));
    expect(misspelled).toBeInstanceOf(TypeError);
    expect(misspelled.message).toBe('Misspelled option "readOnly" should be "readonly"');
    const undefinedBoolean = await rejection(open(':memory:', { fileMustExist: undefined }));
    expect(undefinedBoolean).toBeInstanceOf(TypeError);
    expect(undefinedBoolean.message).toBe('Expected the "fileMustExist" option to be a boolean');
    expect(fs.existsSync(tmp.file('x.db'))).toBe(false);
  });

  it('refuses nativeBinding with a TypeError that says why it cannot work here', async () => {
    const error = await rejection(open(':memory:', { nativeBinding: 'build/better_sqlite3.node' } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('WebAssembly');
  });

  it('accepts timeout 0', async () => {
    const db = tmp.track(await open(':memory:', { timeout: 0 }));
    expect(db.open).toBe(true);
  });

  it.each(['readonly', 'fileMustExist', 'safeIntegers'])('rejects a non-boolean %s option', async (key) => {
    const error = await rejection(open(':memory:', { [key]: 'yes' } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(`Expected the "${key}" option to be a boolean`);
  });

  it('rejects an unknown journalMode', async () => {
    const error = await rejection(open(':memory:', { journalMode: 'fast' } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      'Expected the "journalMode" option to be one of wal, delete, truncate, persist, memory, off',
    );
  });

  it('rejects a non-string path and non-object options', async () => {
    expect(await rejection(open(42 as never))).toBeInstanceOf(TypeError);
    const error = await rejection(open(':memory:', null as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Expected second argument to be an options object');
  });

  it('checks arguments before touching the file system', async () => {
    const file = tmp.file('never.db');
    await rejection(open(file, { timeout: -5 }));
    expect(fs.existsSync(file)).toBe(false);
  });
});
