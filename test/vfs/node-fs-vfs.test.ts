import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_BUSY } from '../../core/sqlite3/constants.ts';
import { openDb, resultCodeOf, type Oo1Db } from '../support/oo1.ts';
import { nodeFsHarness, type VfsHarness } from '../support/vfs-harness.ts';
import { vfsSuite } from './vfs-suite.ts';

vfsSuite('NodeFsVfs', nodeFsHarness);

const isRoot = process.getuid?.() === 0;

describe('NodeFsVfs on a real file system', () => {
  let h: VfsHarness;
  const open: Oo1Db[] = [];

  function db(file: string, flags = 'c'): Oo1Db {
    const d = openDb(h.engine, file, h.vfs.name, flags);
    open.push(d);
    return d;
  }

  beforeEach(async () => {
    h = await nodeFsHarness();
  });

  /** The file SQLite has open as the connection's main database. */
  const mainFilename = (db: number) => h.engine.cstring(h.engine.x.sqlite3_db_filename(db, h.engine.cstr('main')));

  afterEach(() => {
    for (const d of open.splice(0).reverse()) d.close();
    h.cleanup();
  });

  it('resolves symbolic links, so every path to a file shares its locks and journal', () => {
    fs.mkdirSync(h.path('real'));
    fs.symlinkSync(h.path('real'), h.path('link'));
    const viaLink = db(h.path('link/app.db'));
    const direct = db(h.path('real/app.db'));
    expect(mainFilename(viaLink.pointer)).toBe(h.path('real/app.db'));
    viaLink.exec('CREATE TABLE t (v); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
    expect(resultCodeOf(() => direct.exec('BEGIN IMMEDIATE'))).toBe(SQLITE_BUSY);
    expect(fs.existsSync(h.path('real/app.db-journal'))).toBe(true);
    viaLink.exec('COMMIT');
    expect(direct.selectValue('SELECT count(*) FROM t')).toBe(1);
  });

  it('resolves a relative path against the working directory', () => {
    const relative = path.relative(process.cwd(), h.path('rel.db'));
    const d = db(relative);
    d.exec('CREATE TABLE t (v)');
    expect(mainFilename(d.pointer)).toBe(h.path('rel.db'));
    expect(fs.existsSync(h.path('rel.db'))).toBe(true);
  });

  it('creates a WAL with the permissions (and, as root, the owner) of its database', () => {
    const file = h.path('perm.db');
    db(file).close();
    open.length = 0;
    fs.chmodSync(file, 0o640);
    if (isRoot) fs.chownSync(file, 65534, 65534);
    const d = db(file);
    d.exec('PRAGMA journal_mode = wal; CREATE TABLE t (v); INSERT INTO t VALUES (1)');
    const wal = fs.statSync(`${file}-wal`);
    expect(wal.mode & 0o777).toBe(0o640);
    if (isRoot) expect([wal.uid, wal.gid]).toEqual([65534, 65534]);
  });
});
