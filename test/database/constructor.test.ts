import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import Database, { open, SqliteError } from '../../core/index.ts';
import { openNative } from '../support/better-sqlite3.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
const CHILD = path.join(import.meta.dirname, '..', 'support', 'sync-open-child.ts');

describe('new Database(path, options)', () => {
  it('is the default export, as better-sqlite3 users import it', async () => {
    const named = await import('../../core/index.ts');
    expect(named.default).toBe(named.Database);
  });

  it('opens a file synchronously in a fresh process, with no await before the first query', () => {
    const file = tmp.file('sync.db');
    const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, file], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ total: 42, version: '3.54.1' });
    const native = openNative(file);
    expect(native.prepare('SELECT x FROM t').pluck().all()).toEqual([42]);
    native.close();
  });

  it('creates and reopens a file, in the standard format, without await', () => {
    const file = tmp.file('new.db');
    const db = tmp.track(new Database(file));
    db.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('kept')");
    db.close();
    expect(fs.readFileSync(file).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    const again = tmp.track(new Database(file, { readonly: true }));
    expect(again.prepare('SELECT x FROM t').pluck().all()).toEqual(['kept']);
    expect(again.readonly).toBe(true);
  });

  it("opens a private temporary database for no path, undefined, null or ''", () => {
    for (const db of [new Database(), new Database(undefined), new Database(null), new Database('')]) {
      tmp.track(db);
      expect(db.name).toBe('');
      expect(db.memory).toBe(true);
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
    }
  });

  it('opens a private in-memory database for :memory:, with null options meaning none', () => {
    const a = tmp.track(new Database(':memory:', null));
    const b = tmp.track(new Database(':memory:'));
    a.exec('CREATE TABLE only_in_a (x)');
    expect(a.name).toBe(':memory:');
    expect(a.memory).toBe(true);
    expect(b.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'only_in_a'").pluck().get()).toBe(0);
  });

  it('throws a SqliteError synchronously when SQLite cannot open the file', () => {
    const error = thrown(() => new Database(path.join(tmp.dir, 'missing.db'), { fileMustExist: true }));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toMatch(/^SQLITE_CANTOPEN/);
  });

  it("throws better-sqlite3's TypeError synchronously for a directory that does not exist", () => {
    const error = thrown(() => new Database(path.join(tmp.dir, 'missing-dir', 'x.db')));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Cannot open database because the directory does not exist');
  });

  it('checks arguments with better-sqlite3 wordings before touching the file system', () => {
    const file = tmp.file('never.db');
    expect(thrown(() => new Database(42 as never)).message).toBe('Expected first argument to be a string');
    expect(thrown(() => new Database(file, { readOnly: true } as never)).message).toBe(
      'Misspelled option "readOnly" should be "readonly"',
    );
    expect(thrown(() => new Database(':memory:', { readonly: true })).message).toBe(
      'In-memory/temporary databases cannot be readonly',
    );
    expect(thrown(() => new Database(file, { timeout: -1 })).message).toBe(
      'Expected the "timeout" option to be a positive integer',
    );
    expect(fs.existsSync(file)).toBe(false);
  });

  it('is what open() resolves to, with the same options', async () => {
    const db = tmp.track(await open(':memory:', { safeIntegers: true }));
    expect(db).toBeInstanceOf(Database);
    expect(db.prepare('SELECT 1 AS x').get()).toEqual({ x: 1n });
  });
});

describe('new Database(bytes, options)', () => {
  function image(): Uint8Array {
    const source = new Database(':memory:');
    source.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b')");
    const bytes = source.serialize();
    source.close();
    return bytes;
  }

  it('opens an in-memory copy of a serialized database (Uint8Array or Buffer)', () => {
    const bytes = image();
    for (const input of [bytes, Buffer.from(bytes)]) {
      const db = tmp.track(new Database(input));
      expect(db.name).toBe(':memory:');
      expect(db.memory).toBe(true);
      expect(db.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['a', 'b']);
      db.prepare("INSERT INTO t (v) VALUES ('c')").run();
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
    }
    // SQLite worked on its own copy.
    expect(new Database(bytes).prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
  });

  it('opens a copy of a WAL database, from serialize() or from the checkpointed file', () => {
    const file = tmp.file('wal.db');
    const source = tmp.track(new Database(file));
    source.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('in wal')");
    expect(source.pragma('journal_mode', { simple: true })).toBe('wal');
    const copy = tmp.track(new Database(source.serialize()));
    expect(copy.prepare('SELECT x FROM t').pluck().get()).toBe('in wal');
    copy.prepare("INSERT INTO t VALUES ('copy only')").run();
    source.close();
    const fromFile = tmp.track(new Database(fs.readFileSync(file), { readonly: true }));
    expect(fromFile.prepare('SELECT x FROM t').pluck().all()).toEqual(['in wal']);
  });

  it('opens a copy of a file database written by better-sqlite3', () => {
    const file = tmp.file('native.db');
    const native = openNative(file);
    native.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('from native')");
    native.close();
    const db = tmp.track(new Database(fs.readFileSync(file)));
    expect(db.prepare('SELECT x FROM t').pluck().get()).toBe('from native');
  });

  it('may be read-only, and then refuses writes with SQLITE_READONLY', () => {
    const db = tmp.track(new Database(image(), { readonly: true }));
    expect(db.readonly).toBe(true);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
    const error = thrown(() => db.exec("INSERT INTO t (v) VALUES ('c')"));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toMatch(/^SQLITE_READONLY/);
  });

  it('reports bytes that are not a database as SQLITE_NOTADB', () => {
    const error = thrown(() => {
      const db = tmp.track(new Database(Buffer.alloc(8192, 7)));
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
    });
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_NOTADB');
  });
});
