/**
 * The synchronous file system a {@link SqliteVfs} runs on: just what SQLite's file methods need.
 *
 * Failures are thrown as Node-style errors carrying an errno `code` (`'ENOENT'`, `'EACCES'`,
 * `'EISDIR'`, `'ENOSPC'`, …) and the failed `syscall`; the VFS turns them into SQLite result
 * codes and keeps them as the cause. Paths are absolute, as returned by {@link fullPath}.
 *
 * @example
 * const fs: Filesystem = new MemoryFilesystem();
 * const file = fs.open('/app.db', { write: true, create: true, exclusive: false });
 * file.write(new Uint8Array([1, 2, 3]), 0, 3, 0);
 * file.close();
 */
export interface Filesystem {
  /** Opens (or creates) a regular file; a directory fails with `EISDIR`. */
  open(path: string, mode: OpenMode): FileHandle;
  /** Removes a file; `ENOENT` if it does not exist. Not durable until the directory is synced. */
  delete(path: string): void;
  /** What the file at `path` is, or `null` if nothing is there. */
  stat(path: string): FileStat | null;
  /** Whether the file may be read (and, with `write`, written) by this process. */
  access(path: string, write: boolean): boolean;
  /** The canonical absolute form of `path` (symbolic links resolved where the backend has them). */
  fullPath(path: string): string;
  /**
   * Makes the creation and removal of entries in the directory that contains `filePath` durable.
   * Throws with `syscall: 'open'` if the directory cannot be opened at all.
   */
  syncParentDirectory(filePath: string): void;
}

/** How {@link Filesystem.open} opens a file. */
export interface OpenMode {
  /** Open for reading and writing (else read-only). */
  write: boolean;
  /** Create the file if it is missing. */
  create: boolean;
  /** With `create`: fail with `EEXIST` if the file already exists. */
  exclusive: boolean;
  /**
   * With `create`: give a new file the permissions (and, where allowed, the owner) of this file,
   * so that a journal or WAL created by one user stays usable by the database's owner.
   */
  permissionsOf?: string | undefined;
  /**
   * Nobody but this thread writes the file while it is open (the VFS holds the database's owner
   * lock, or the file is private to the process), so a backend may keep the file's size in memory
   * instead of asking the OS at every {@link FileHandle.size}.
   */
  owned?: boolean | undefined;
}

/** The answer of {@link Filesystem.stat}. */
export interface FileStat {
  isFile: boolean;
  size: number;
}

/**
 * An open file. Offsets are byte positions; the buffer arguments name a range of a larger buffer
 * (typically the whole WASM heap) so that no call needs a view object of its own.
 */
export interface FileHandle {
  /** Reads up to `length` bytes at `position` into `buffer[offset…]`; returns how many (fewer only at end of file). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** Writes `buffer[offset…offset+length)` at `position`, extending the file as needed. */
  write(buffer: Uint8Array, offset: number, length: number, position: number): void;
  /** Sets the file's size, cutting or zero-extending it. */
  truncate(size: number): void;
  /** Makes the file's content durable (`dataOnly`: content and size, not timestamps). */
  sync(dataOnly: boolean): void;
  /** The file's current size in bytes. */
  size(): number;
  close(): void;
}
