import type { Engine } from '../sqlite3/engine.ts';
import { MemoryFilesystem } from './memory-filesystem.ts';
import { SqliteVfs } from './sqlite-vfs.ts';

let counter = 0;

/**
 * A {@link SqliteVfs} over a {@link MemoryFilesystem}: the reference implementation of the VFS
 * and a fast, isolated place for tests. Each instance has its own files, locks and wal-indexes,
 * and a unique name unless one is given. `create` throws if the name is taken.
 *
 * @example
 * const vfs = MemoryVfs.create(engine);
 * const db = await open('/app.db', { vfs: vfs.name });
 * vfs.filesystem.files(); // ['/app.db', '/app.db-wal']
 */
export class MemoryVfs extends SqliteVfs {
  declare readonly filesystem: MemoryFilesystem;

  /**
   * Registers a new memory VFS, over `filesystem` if given (e.g. to reopen files kept from an
   * earlier one). For other file systems use {@link SqliteVfs} directly.
   */
  static create(engine: Engine, name?: string, filesystem: MemoryFilesystem = new MemoryFilesystem()): MemoryVfs {
    return new MemoryVfs(engine, filesystem, { name: name ?? `wasmlite-memory-${++counter}` });
  }
}
