import { errnoError } from '../../core/vfs/errno-error.ts';
import type { FileHandle, FileStat, Filesystem, OpenMode } from '../../core/vfs/filesystem.ts';

/**
 * A {@link Filesystem} that passes everything to `inner` except the failures switched on:
 * `writeError` makes every write (and size-extending truncate) throw that errno code,
 * `failNextWrite` makes only the next write to a matching path throw, and paths in
 * `readOnlyPaths` cannot be opened for writing (EACCES), like a file without write permission.
 */
export class FaultyFilesystem implements Filesystem {
  readonly inner: Filesystem;
  writeError: string | undefined;
  readonly readOnlyPaths = new Set<string>();
  #nextWrite: { code: string; suffix: string } | undefined;

  constructor(inner: Filesystem) {
    this.inner = inner;
  }

  /** Makes the next write to a path ending with `suffix` throw `code`; later writes pass. */
  failNextWrite(code: string, suffix = ''): void {
    this.#nextWrite = { code, suffix };
  }

  #takeWriteFailure(path: string): string | undefined {
    if (this.writeError !== undefined) return this.writeError;
    const once = this.#nextWrite;
    if (once === undefined || !path.endsWith(once.suffix)) return undefined;
    this.#nextWrite = undefined;
    return once.code;
  }

  open(path: string, mode: OpenMode): FileHandle {
    if (mode.write && this.readOnlyPaths.has(this.inner.fullPath(path))) throw errnoError('EACCES', 'open', path);
    const handle = this.inner.open(path, mode);
    const faults = this;
    return {
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      write(buffer, offset, length, position) {
        const code = faults.#takeWriteFailure(path);
        if (code !== undefined) throw errnoError(code, 'write', path);
        handle.write(buffer, offset, length, position);
      },
      truncate(size) {
        if (faults.writeError !== undefined && size > handle.size())
          throw errnoError(faults.writeError, 'ftruncate', path);
        handle.truncate(size);
      },
      sync: (dataOnly) => handle.sync(dataOnly),
      size: () => handle.size(),
      close: () => handle.close(),
    };
  }

  delete(path: string): void {
    this.inner.delete(path);
  }

  stat(path: string): FileStat | null {
    return this.inner.stat(path);
  }

  access(path: string, write: boolean): boolean {
    if (write && this.readOnlyPaths.has(this.inner.fullPath(path))) return false;
    return this.inner.access(path, write);
  }

  fullPath(path: string): string {
    return this.inner.fullPath(path);
  }

  syncParentDirectory(filePath: string): void {
    this.inner.syncParentDirectory(filePath);
  }
}
