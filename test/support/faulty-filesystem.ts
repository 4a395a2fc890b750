import { errnoError } from '../../core/vfs/errno-error.ts';
import type { FileHandle, FileStat, Filesystem, OpenMode } from '../../core/vfs/filesystem.ts';

/**
 * A {@link Filesystem} that passes everything to `inner` except the failures switched on:
 * `writeError` makes every write (and size-extending truncate) throw that errno code, and paths
 * in `readOnlyPaths` cannot be opened for writing (EACCES), like a file without write permission.
 */
export class FaultyFilesystem implements Filesystem {
  readonly inner: Filesystem;
  writeError: string | undefined;
  readonly readOnlyPaths = new Set<string>();

  constructor(inner: Filesystem) {
    this.inner = inner;
  }

  open(path: string, mode: OpenMode): FileHandle {
    if (mode.write && this.readOnlyPaths.has(this.inner.fullPath(path))) throw errnoError('EACCES', 'open', path);
    const handle = this.inner.open(path, mode);
    const faults = this;
    return {
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      write(buffer, offset, length, position) {
        if (faults.writeError !== undefined) throw errnoError(faults.writeError, 'write', path);
        handle.write(buffer, offset, length, position);
      },
      truncate(size) {
        if (faults.writeError !== undefined && size > handle.size()) throw errnoError(faults.writeError, 'ftruncate', path);
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
