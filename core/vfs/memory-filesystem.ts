import { posix } from 'node:path';
import { errnoError } from './errno-error.ts';
import type { FileHandle, FileStat, Filesystem, OpenMode } from './filesystem.ts';
import { MemoryFile } from './memory-file.ts';

/**
 * A {@link Filesystem} in JS memory with POSIX paths: the reference backend of {@link MemoryVfs},
 * also handy to inspect or plant files in tests. Directories must exist before files are created
 * in them (`/` always does). Nothing here is durable; `sync` does nothing.
 *
 * Fails like a POSIX file system: `ENOENT`, `EEXIST`, `EISDIR`, and `EACCES` for files marked
 * read-only with {@link setReadOnly}.
 *
 * @example
 * const fs = new MemoryFilesystem();
 * fs.mkdir('/data');
 * fs.writeFile('/data/raw.bin', new Uint8Array([1, 2, 3]));
 * fs.readFile('/data/raw.bin'); // Uint8Array [1, 2, 3]
 */
export class MemoryFilesystem implements Filesystem {
  readonly #files = new Map<string, { file: MemoryFile; readOnly: boolean }>();
  readonly #directories = new Set<string>(['/']);

  open(path: string, mode: OpenMode): FileHandle {
    const p = this.fullPath(path);
    if (this.#directories.has(p)) throw errnoError('EISDIR', 'open', p);
    let entry = this.#files.get(p);
    if (entry === undefined) {
      if (!mode.create) throw errnoError('ENOENT', 'open', p);
      if (!this.#directories.has(posix.dirname(p))) throw errnoError('ENOENT', 'open', p);
      entry = { file: new MemoryFile(), readOnly: false };
      this.#files.set(p, entry);
    } else if (mode.create && mode.exclusive) {
      throw errnoError('EEXIST', 'open', p);
    }
    if (mode.write && entry.readOnly) throw errnoError('EACCES', 'open', p);
    return entry.file;
  }

  delete(path: string): void {
    const p = this.fullPath(path);
    if (this.#directories.has(p)) throw errnoError('EISDIR', 'unlink', p);
    if (!this.#files.delete(p)) throw errnoError('ENOENT', 'unlink', p);
  }

  stat(path: string): FileStat | null {
    const p = this.fullPath(path);
    if (this.#directories.has(p)) return { isFile: false, size: 0 };
    const entry = this.#files.get(p);
    return entry === undefined ? null : { isFile: true, size: entry.file.size() };
  }

  access(path: string, write: boolean): boolean {
    const p = this.fullPath(path);
    if (this.#directories.has(p)) return true;
    const entry = this.#files.get(p);
    return entry !== undefined && !(write && entry.readOnly);
  }

  fullPath(path: string): string {
    return posix.resolve('/', path);
  }

  syncParentDirectory(): void {}

  /** Creates a directory and its missing parents. */
  mkdir(path: string): void {
    const p = this.fullPath(path);
    if (this.#files.has(p)) throw errnoError('EEXIST', 'mkdir', p);
    if (p !== '/') this.mkdir(posix.dirname(p));
    this.#directories.add(p);
  }

  /** Creates or replaces a file with a copy of `content`. */
  writeFile(path: string, content: Uint8Array): void {
    const p = this.fullPath(path);
    if (!this.#directories.has(posix.dirname(p))) throw errnoError('ENOENT', 'open', p);
    if (this.#directories.has(p)) throw errnoError('EISDIR', 'open', p);
    this.#files.set(p, { file: new MemoryFile(content), readOnly: false });
  }

  /** A copy of a file's content; `ENOENT` if it does not exist. */
  readFile(path: string): Uint8Array {
    const p = this.fullPath(path);
    const entry = this.#files.get(p);
    if (entry === undefined) throw errnoError('ENOENT', 'open', p);
    return entry.file.bytes();
  }

  /** Marks a file so that opening it for writing fails with `EACCES` (like `chmod a-w`). */
  setReadOnly(path: string, readOnly: boolean): void {
    const entry = this.#files.get(this.fullPath(path));
    if (entry === undefined) throw errnoError('ENOENT', 'chmod', path);
    entry.readOnly = readOnly;
  }

  /** The paths of all files, sorted. */
  files(): string[] {
    return [...this.#files.keys()].sort();
  }

  /** The paths of all directories, sorted. */
  directories(): string[] {
    return [...this.#directories].sort();
  }
}
