import * as fs from 'node:fs';
import * as path from 'node:path';
import { syncDirectory } from '../util/durable-file.ts';
import { errnoError } from './errno-error.ts';
import { FileSizeTable, type KnownSize } from './file-size-table.ts';
import type { FileHandle, FileStat, Filesystem, OpenMode } from './filesystem.ts';

const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL } = fs.constants;

/** Permissions of created files, as SQLite's unix VFS (before the umask). */
const FILE_MODE = 0o644;

// Per thread, not per instance: every NodeFilesystem of the thread writes the same files.
const knownSizes = new FileSizeTable();

/**
 * The {@link Filesystem} of the machine, over synchronous node:fs calls: reads and writes go
 * straight between the file and the caller's buffer (the WASM heap), `sync` is a real
 * `fsync`/`fdatasync`, and a directory is synced by opening it read-only and fsyncing it.
 *
 * Everything throws Node's own errors (`ENOENT`, `EACCES`, `ENOSPC`, …).
 *
 * @example
 * const fs = new NodeFilesystem();
 * const file = fs.open('/tmp/x.db', { write: true, create: true, exclusive: false });
 * file.sync(false);
 * file.close();
 */
export class NodeFilesystem implements Filesystem {
  open(file: string, mode: OpenMode): FileHandle {
    let flags = mode.write ? O_RDWR : O_RDONLY;
    if (mode.create) flags |= O_CREAT | (mode.exclusive ? O_EXCL : 0);
    const like = mode.create && mode.permissionsOf !== undefined ? statQuietly(mode.permissionsOf) : undefined;
    const fd = fs.openSync(file, flags, like === undefined ? FILE_MODE : like.mode & 0o777);
    if (like !== undefined) copyPermissions(fd, like);
    if (!mode.write || mode.owned === true) {
      let stat: fs.BigIntStats;
      try {
        stat = fs.fstatSync(fd, { bigint: true });
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
      // Linux lets a directory be opened read-only; SQLite must be told it is a directory.
      if (stat.isDirectory()) {
        fs.closeSync(fd);
        throw errnoError('EISDIR', 'open', file);
      }
      // An fstat costs a microsecond, and SQLite asks for the size at every read transaction in
      // rollback-journal mode; while the thread owns the file, its own writes are all that change it.
      if (mode.owned === true)
        return new NodeFileHandle(fd, knownSizes.attach(`${stat.dev}:${stat.ino}`, Number(stat.size)));
    }
    return new NodeFileHandle(fd, null);
  }

  delete(file: string): void {
    fs.unlinkSync(file);
  }

  stat(file: string): FileStat | null {
    const s = fs.statSync(file, { throwIfNoEntry: false });
    return s === undefined ? null : { isFile: s.isFile(), size: s.size };
  }

  access(file: string, write: boolean): boolean {
    try {
      fs.accessSync(file, fs.constants.R_OK | (write ? fs.constants.W_OK : 0));
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR')
        return false;
      throw error;
    }
  }

  /**
   * Resolves symbolic links like SQLite's unix VFS does, so that a database reached through a
   * link gets its journal, WAL and locks beside the real file, shared with every other path to it.
   */
  fullPath(file: string): string {
    const resolved = path.resolve(file);
    try {
      return fs.realpathSync.native(resolved);
    } catch {
      // The file itself may not exist yet; its directory usually does.
      try {
        return path.join(fs.realpathSync.native(path.dirname(resolved)), path.basename(resolved));
      } catch {
        return resolved;
      }
    }
  }

  syncParentDirectory(file: string): void {
    syncDirectory(path.dirname(file));
  }
}

function statQuietly(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Gives a new (empty) file the permission bits of `like` despite the umask, and its owner when
 * running as root, like os_unix.c does for journals and WALs; best effort.
 */
function copyPermissions(fd: number, like: fs.Stats): void {
  try {
    const stat = fs.fstatSync(fd);
    if (stat.size !== 0) return;
    if ((stat.mode & 0o777) !== (like.mode & 0o777)) fs.fchmodSync(fd, like.mode & 0o777);
    // Root would otherwise leave a journal that the database's owner cannot open.
    if (process.getuid?.() === 0 && (stat.uid !== like.uid || stat.gid !== like.gid))
      fs.fchownSync(fd, like.uid, like.gid);
  } catch {
    // The file is usable either way.
  }
}

/**
 * An open file descriptor. Loops on short reads and writes, which POSIX allows at any time. With a
 * {@link KnownSize}, keeps the file's size there (exact while nobody else writes the file) and
 * answers `size()` from it.
 */
class NodeFileHandle implements FileHandle {
  readonly #fd: number;
  readonly #known: KnownSize | null;

  constructor(fd: number, known: KnownSize | null) {
    this.#fd = fd;
    this.#known = known;
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.#fd, buffer, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number): void {
    let done = 0;
    try {
      while (done < length) {
        const n = fs.writeSync(this.#fd, buffer, offset + done, length - done, position + done);
        if (n === 0) throw errnoError('EIO', 'write');
        done += n;
      }
    } catch (error) {
      // Part of it may have been written (and the file extended): ask the OS next time.
      if (this.#known !== null) this.#known.size = -1;
      throw error;
    }
    const known = this.#known;
    if (known !== null && known.size >= 0 && position + length > known.size) known.size = position + length;
  }

  truncate(size: number): void {
    try {
      fs.ftruncateSync(this.#fd, size);
    } catch (error) {
      if (this.#known !== null) this.#known.size = -1;
      throw error;
    }
    if (this.#known !== null) this.#known.size = size;
  }

  sync(dataOnly: boolean): void {
    if (dataOnly) fs.fdatasyncSync(this.#fd);
    else fs.fsyncSync(this.#fd);
  }

  size(): number {
    const known = this.#known;
    if (known !== null && known.size >= 0) return known.size;
    const size = fs.fstatSync(this.#fd).size;
    if (known !== null) known.size = size;
    return size;
  }

  close(): void {
    if (this.#known !== null) knownSizes.detach(this.#known);
    fs.closeSync(this.#fd);
  }
}
