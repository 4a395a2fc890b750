import type { Engine } from '../sqlite3/engine.ts';
import {
  SQLITE_ACCESS_EXISTS,
  SQLITE_ACCESS_READWRITE,
  SQLITE_CANTOPEN_FULLPATH,
  SQLITE_IOERR_ACCESS,
  SQLITE_IOERR_DELETE,
  SQLITE_IOERR_DELETE_NOENT,
  SQLITE_IOERR_DIR_FSYNC,
  SQLITE_OK,
} from '../sqlite3/constants.ts';
import type { Filesystem } from './filesystem.ts';
import { randomFill } from '../sqlite3/random-fill.ts';
import { errorCode, isIgnorableDirectorySyncError, peekVfsError, vfsFailure } from './vfs-error.ts';

const JULIAN_UNIX_EPOCH = 2440587.5;
const JULIAN_UNIX_EPOCH_MS = 210866760000000n;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** `xOpen`, which needs the state of the {@link SqliteVfs} that registers these methods. */
export type XOpen = (zName: number, pFile: number, flags: number, pOutFlags: number) => number;

/**
 * The `sqlite3_vfs` methods (version 2) over `filesystem`, as `registerVfs` takes them:
 * file-level calls (`xDelete`, `xAccess`, `xFullPathname`) and the system services SQLite
 * asks its VFS for (randomness, sleep, time, the last error). None throws into WASM.
 *
 * @example
 * const methods = vfsMethods(engine, fs, xOpen);
 * registerVfs(engine, { name: 'x', iVersion: 2, mxPathname: 1024, methods, ioVersion: 2, ioMethods });
 */
export function vfsMethods(
  engine: Engine,
  filesystem: Filesystem,
  xOpen: XOpen,
): Record<string, (...args: never[]) => unknown> {
  const e = engine;
  const fs = filesystem;
  return {
    xOpen: (_pVfs: number, zName: number, pFile: number, flags: number, pOutFlags: number) =>
      xOpen(zName, pFile, flags, pOutFlags),
    xDelete: (_pVfs: number, zName: number, syncDir: number) => {
      let name = '';
      try {
        name = e.cstring(zName) ?? '';
        fs.delete(name);
      } catch (error) {
        // SQLite ignores a file that is already gone (it deletes journals and WALs that may not
        // exist), so keeping that cause would only blame it on a later error.
        if (errorCode(error) === 'ENOENT') return SQLITE_IOERR_DELETE_NOENT;
        return vfsFailure(error, SQLITE_IOERR_DELETE);
      }
      // SQLite asks for a directory sync after deleting a rollback journal only at
      // synchronous=EXTRA; at FULL a power cut could bring the journal back and roll the
      // acknowledged commit back. wasmlite promises FULL is durable, so it always syncs then.
      if (syncDir !== 0 || name.endsWith('-journal')) {
        try {
          fs.syncParentDirectory(name);
        } catch (error) {
          if (!isIgnorableDirectorySyncError(error)) return vfsFailure(error, SQLITE_IOERR_DIR_FSYNC);
        }
      }
      return SQLITE_OK;
    },
    xAccess: (_pVfs: number, zName: number, flags: number, pResOut: number) => {
      try {
        const name = e.cstring(zName) ?? '';
        let yes: boolean;
        if (flags === SQLITE_ACCESS_EXISTS) {
          // As os_unix.c: an empty file is as good as none (a journal truncated to zero).
          const stat = fs.stat(name);
          yes = stat !== null && (!stat.isFile || stat.size > 0);
        } else {
          yes = fs.access(name, flags === SQLITE_ACCESS_READWRITE);
        }
        e.dv.setInt32(pResOut, yes ? 1 : 0, true);
        return SQLITE_OK;
      } catch (error) {
        return vfsFailure(error, SQLITE_IOERR_ACCESS);
      }
    },
    xFullPathname: (_pVfs: number, zName: number, nOut: number, zOut: number) => {
      try {
        const full = fs.fullPath(e.cstring(zName) ?? '');
        const n = Buffer.byteLength(full);
        if (n + 1 > nOut)
          return vfsFailure(new RangeError(`path too long for SQLite (${n} bytes): ${full}`), SQLITE_CANTOPEN_FULLPATH);
        e.buf.write(full, zOut, n, 'utf8');
        e.u8[zOut + n] = 0;
        return SQLITE_OK;
      } catch (error) {
        return vfsFailure(error, SQLITE_CANTOPEN_FULLPATH);
      }
    },
    xRandomness: (_pVfs: number, n: number, zOut: number) => {
      randomFill(e.u8, zOut, n);
      return n;
    },
    // SQLite's busy handler sleeps here between retries, so it must really block the thread.
    xSleep: (_pVfs: number, micros: number) => {
      if (micros > 0) Atomics.wait(sleepCell, 0, 0, micros / 1000);
      return micros;
    },
    xCurrentTime: (_pVfs: number, pOut: number) => {
      e.dv.setFloat64(pOut, JULIAN_UNIX_EPOCH + Date.now() / 86_400_000, true);
      return SQLITE_OK;
    },
    xCurrentTimeInt64: (_pVfs: number, pOut: number) => {
      e.dv.setBigInt64(pOut, JULIAN_UNIX_EPOCH_MS + BigInt(Date.now()), true);
      return SQLITE_OK;
    },
    xGetLastError: (_pVfs: number, nBuf: number, zBuf: number) => {
      const error = peekVfsError() as NodeJS.ErrnoException | undefined;
      if (error === undefined) return 0;
      if (nBuf > 0) {
        const bytes = Buffer.from(error.message).subarray(0, nBuf - 1);
        e.u8.set(bytes, zBuf);
        e.u8[zBuf + bytes.length] = 0;
      }
      return typeof error.errno === 'number' ? Math.abs(error.errno) : 0;
    },
  };
}
