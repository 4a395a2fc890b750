import { posix } from 'node:path';
import { errnoError } from '../../core/vfs/errno-error.ts';
import type { FileHandle, FileStat, Filesystem, OpenMode } from '../../core/vfs/filesystem.ts';
import { MemoryFile } from '../../core/vfs/memory-file.ts';
import { MemoryFilesystem } from '../../core/vfs/memory-filesystem.ts';

type Unsynced = { kind: 'write'; position: number; data: Uint8Array } | { kind: 'truncate'; size: number };

/** A file's two images: what the running system sees, and what a power loss would leave. */
class Inode {
  volatile: MemoryFile;
  durable: MemoryFile;
  /** What happened to `volatile` since the last sync, in order. */
  unsynced: Unsynced[] = [];

  constructor(content?: Uint8Array) {
    this.volatile = new MemoryFile(content);
    this.durable = new MemoryFile(content);
  }
}

/** Options of {@link PowerLossFilesystem}. */
export interface PowerLossOptions {
  /** Cut the power once this many operations have run: the next one (and every later one) fails with EIO. */
  cutAfter?: number;
  /** At the cut, also keep each write or truncate made since the file's last sync with probability ½. */
  keepSomeUnsyncedWrites?: boolean;
  /** The random source for `keepSomeUnsyncedWrites` (default Math.random). */
  random?: () => number;
}

/**
 * A {@link Filesystem} in memory that knows what would survive a power loss, under strict POSIX
 * rules: a file's content is durable as of its last `sync`; creating or deleting a file is
 * durable only once its directory is synced (until then a deleted file comes back and a created
 * one is gone). {@link cutPower} returns that durable state as a new {@link MemoryFilesystem};
 * with `cutAfter`, the power is cut automatically after that many operations, and the image
 * kept in {@link image}.
 *
 * Optionally a random subset of unsynced writes also reaches the disk, as a disk cache may
 * write back in any order; a write is never torn (SQLite is told so: POWERSAFE_OVERWRITE).
 *
 * @example
 * const fs = new PowerLossFilesystem({ cutAfter: 120 });
 * // … run SQLite on it until its operations fail …
 * const afterReboot = fs.image!; // a MemoryFilesystem to reopen the database from
 */
export class PowerLossFilesystem implements Filesystem {
  /** How many operations have run. */
  operations = 0;
  /** The durable state at the automatic cut, once it happened. */
  image: MemoryFilesystem | undefined;
  readonly #options: PowerLossOptions;
  readonly #names = new Map<string, Inode>();
  readonly #durableNames = new Map<string, Inode>();
  readonly #directories = new Set<string>(['/']);

  constructor(options: PowerLossOptions = {}) {
    this.#options = options;
  }

  /** Creates a directory, durably (setup only). */
  mkdir(path: string): void {
    this.#directories.add(posix.resolve('/', path));
  }

  open(path: string, mode: OpenMode): FileHandle {
    this.#tick();
    const p = this.fullPath(path);
    if (this.#directories.has(p)) throw errnoError('EISDIR', 'open', p);
    let inode = this.#names.get(p);
    if (inode === undefined) {
      if (!mode.create || !this.#directories.has(posix.dirname(p))) throw errnoError('ENOENT', 'open', p);
      inode = new Inode();
      this.#names.set(p, inode);
    } else if (mode.create && mode.exclusive) {
      throw errnoError('EEXIST', 'open', p);
    }
    return this.#handle(inode);
  }

  delete(path: string): void {
    this.#tick();
    const p = this.fullPath(path);
    if (!this.#names.delete(p)) throw errnoError('ENOENT', 'unlink', p);
  }

  stat(path: string): FileStat | null {
    this.#tick();
    const p = this.fullPath(path);
    if (this.#directories.has(p)) return { isFile: false, size: 0 };
    const inode = this.#names.get(p);
    return inode === undefined ? null : { isFile: true, size: inode.volatile.size() };
  }

  access(path: string): boolean {
    this.#tick();
    const p = this.fullPath(path);
    return this.#directories.has(p) || this.#names.has(p);
  }

  fullPath(path: string): string {
    return posix.resolve('/', path);
  }

  syncParentDirectory(filePath: string): void {
    this.#tick();
    const dir = posix.dirname(this.fullPath(filePath));
    for (const name of [...this.#durableNames.keys()]) {
      if (posix.dirname(name) === dir && !this.#names.has(name)) this.#durableNames.delete(name);
    }
    for (const [name, inode] of this.#names) {
      if (posix.dirname(name) === dir) this.#durableNames.set(name, inode);
    }
  }

  /** What a power loss now would leave on disk. */
  cutPower(): MemoryFilesystem {
    const files = new MemoryFilesystem();
    for (const dir of [...this.#directories].sort()) files.mkdir(dir);
    const random = this.#options.random ?? Math.random;
    for (const [name, inode] of this.#durableNames) {
      const file = inode.durable.clone();
      if (this.#options.keepSomeUnsyncedWrites) {
        for (const op of inode.unsynced) {
          if (random() >= 0.5) continue;
          if (op.kind === 'write') file.write(op.data, 0, op.data.length, op.position);
          else file.truncate(op.size);
        }
      }
      files.writeFile(name, file.bytes());
    }
    return files;
  }

  #tick(): void {
    if (this.image !== undefined) throw errnoError('EIO', 'power lost');
    this.operations++;
    if (this.operations > (this.#options.cutAfter ?? Infinity)) {
      this.image = this.cutPower();
      throw errnoError('EIO', 'power lost');
    }
  }

  #handle(inode: Inode): FileHandle {
    const keepOps = this.#options.keepSomeUnsyncedWrites === true;
    return {
      read: (buffer, offset, length, position) => {
        this.#tick();
        return inode.volatile.read(buffer, offset, length, position);
      },
      write: (buffer, offset, length, position) => {
        this.#tick();
        inode.volatile.write(buffer, offset, length, position);
        if (keepOps) inode.unsynced.push({ kind: 'write', position, data: buffer.slice(offset, offset + length) });
      },
      truncate: (size) => {
        this.#tick();
        inode.volatile.truncate(size);
        if (keepOps) inode.unsynced.push({ kind: 'truncate', size });
      },
      sync: () => {
        this.#tick();
        inode.durable = inode.volatile.clone();
        inode.unsynced = [];
      },
      size: () => {
        this.#tick();
        return inode.volatile.size();
      },
      close: () => {},
    };
  }
}
