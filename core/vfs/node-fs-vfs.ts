import type { Engine } from '../sqlite3/engine.ts';
import type { Filesystem } from './filesystem.ts';
import { LockTable } from './lock-table.ts';
import { NodeFilesystem } from './node-filesystem.ts';
import { ObserverTable } from './observer-table.ts';
import { OwnerLock } from './owner-lock.ts';
import { SqliteVfs } from './sqlite-vfs.ts';
import { WalIndexTable } from './wal-index-table.ts';

/** Options of {@link NodeFsVfs.create}. */
export interface NodeFsVfsOptions {
  /** The name to register (default `"wasmlite"`). */
  name?: string;
  /** The file system to go through (default node:fs); tests wrap it to inject failures. */
  filesystem?: Filesystem;
}

// Every NodeFsVfs of one engine shares locks, wal-indexes and commit observers: they are the same
// files, and the wal-index lives in that engine's heap.
const shared = new WeakMap<Engine, { locks: LockTable; walIndexes: WalIndexTable; observers: ObserverTable }>();

/**
 * wasmlite's VFS for real files: a {@link SqliteVfs} over node:fs with a real `fsync` where SQLite
 * asks for one, SQLite's locking between the connections of this process, and one owner process
 * per database file ({@link OwnerLock}: a second process gets `SQLITE_BUSY` with an
 * {@link OwnerLockError} cause). Files are standard SQLite databases. A commit observer attached
 * through one NodeFsVfs ({@link SqliteVfs.observe}) sees commits through all of them.
 *
 * Usually obtained through {@link defaultVfs}. `create` throws if the name is taken.
 *
 * @example
 * const vfs = NodeFsVfs.create(engine, { name: 'wasmlite-test' });
 * // sqlite3_open_v2('/srv/app.db', pp, flags, 'wasmlite-test')
 */
export class NodeFsVfs extends SqliteVfs {
  static create(engine: Engine, options: NodeFsVfsOptions = {}): NodeFsVfs {
    let tables = shared.get(engine);
    if (tables === undefined) {
      tables = { locks: new LockTable(), walIndexes: new WalIndexTable(engine), observers: new ObserverTable() };
      shared.set(engine, tables);
    }
    return new NodeFsVfs(engine, options.filesystem ?? new NodeFilesystem(), {
      name: options.name ?? 'wasmlite',
      locks: tables.locks,
      walIndexes: tables.walIndexes,
      observers: tables.observers,
      owner: OwnerLock.forProcess(),
    });
  }
}
