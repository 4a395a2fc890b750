import { afterEach, describe, expect, it } from 'vitest';
import { loadEngine } from '../../core/sqlite3/engine.ts';
import type { Filesystem, OpenMode } from '../../core/vfs/filesystem.ts';
import { MemoryFilesystem } from '../../core/vfs/memory-filesystem.ts';
import { SqliteVfs, type MainFileOwner } from '../../core/vfs/sqlite-vfs.ts';
import { openDb, type Oo1Db } from '../support/oo1.ts';

let counter = 0;

/** A memory file system that records, per file name, whether each open was marked owned. */
function recording(files: MemoryFilesystem): { fs: Filesystem; owned: Map<string, boolean[]> } {
  const owned = new Map<string, boolean[]>();
  const fs: Filesystem = {
    open(path: string, mode: OpenMode) {
      const name = path.slice('/data/'.length);
      owned.set(name, [...(owned.get(name) ?? []), mode.owned === true]);
      return files.open(path, mode);
    },
    delete: (path) => files.delete(path),
    stat: (path) => files.stat(path),
    access: (path, write) => files.access(path, write),
    fullPath: (path) => files.fullPath(path),
    syncParentDirectory: () => {},
  };
  return { fs, owned };
}

/** An owner that owns every file (`true`) or none because it cannot (`false`, the file opens read-only). */
function owner(canOwn: boolean): MainFileOwner {
  return { acquire: () => canOwn, release: () => {} };
}

describe('which opens the VFS marks owned (the file system may then keep their size)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  async function setup(mainOwner: MainFileOwner | undefined, files = new MemoryFilesystem()) {
    const engine = await loadEngine();
    if (!files.directories().includes('/data')) files.mkdir('/data');
    const { fs, owned } = recording(files);
    const vfs = new SqliteVfs(engine, fs, { name: `wasmlite-owned-test-${++counter}`, owner: mainOwner });
    cleanups.push(() => vfs.unregister());
    const db = (flags = 'c'): Oo1Db => {
      const d = openDb(engine, '/data/app.db', vfs.name, flags);
      cleanups.push(() => d.close());
      return d;
    };
    return { db, owned, files };
  }

  it('marks the database, its journal and its WAL when this process owns the database', async () => {
    const { db, owned } = await setup(owner(true));
    const a = db();
    a.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1)');
    a.exec('PRAGMA journal_mode = wal; INSERT INTO t VALUES (2)');
    expect([...owned.keys()].sort()).toEqual(['app.db', 'app.db-journal', 'app.db-wal']);
    expect([...owned.values()].flat()).not.toContain(false);
  });

  it('marks every file when the VFS has no owner (files private to the process)', async () => {
    const { db, owned } = await setup(undefined);
    db().exec('PRAGMA journal_mode = wal; CREATE TABLE t (v)');
    expect(owned.has('app.db-wal')).toBe(true);
    expect([...owned.values()].flat()).not.toContain(false);
  });

  it('marks nothing of a database opened read-only because nobody can own it', async () => {
    const first = await setup(owner(true));
    const a = first.db();
    a.exec('PRAGMA journal_mode = wal; CREATE TABLE t (v); INSERT INTO t VALUES (1)');
    const other = await setup(owner(false), first.files);
    const b = other.db();
    expect(b.selectValue('SELECT count(*) FROM t')).toBe(1);
    expect(other.owned.get('app.db')).toEqual([false]);
    expect([...other.owned.values()].flat()).not.toContain(true);
  });
});
