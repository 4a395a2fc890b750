import * as fs from 'node:fs';
import * as path from 'node:path';

const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP']);

/**
 * Whether `error` is a file system's answer that it cannot `fsync` a directory (`EINVAL`,
 * `ENOTSUP`, `EOPNOTSUPP`: procfs, some FUSE and network file systems). Their entries are made
 * durable some other way or not at all, and there is nothing better to do, so it is no failure.
 *
 * @example
 * if (!isDirectorySyncUnsupported(error)) throw error;
 */
export function isDirectorySyncUnsupported(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DIRECTORY_SYNC_UNSUPPORTED.has(code);
}

/**
 * Makes the entries of directory `dir` durable (files created, renamed or deleted in it): opens
 * it and calls `fsync`. A file system that cannot sync a directory (`EINVAL`, `ENOTSUP`,
 * `EOPNOTSUPP`) is not an error; any other failure throws Node's error (`ENOENT`, `EIO`, …).
 *
 * @example
 * fs.renameSync(temp, file);
 * syncDirectory(path.dirname(file));
 */
export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    if (!isDirectorySyncUnsupported(error)) throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `file` with `data` atomically and durably: writes `<file>.tmp`, fsyncs it, renames it
 * over `file` and fsyncs the directory, so that after a crash `file` holds either its old content
 * or `data`, never a mix, and once this returns it holds `data`. With `{ sync: false }` readers
 * still see the old or the new content, never a mix, but nothing is fsynced (for files whose
 * durability the caller does not need). Throws Node's error: when the write or the rename fails,
 * `file` is unchanged and the temporary file removed; when the directory fsync after the rename
 * fails, `file` already holds `data` but may lose it to a crash.
 *
 * @example
 * writeFileDurably(`${dbPath}-dbid`, `${dbId}\n`);
 */
export function writeFileDurably(file: string, data: Uint8Array | string, options: { sync?: boolean } = {}): void {
  const sync = options.sync ?? true;
  const temp = `${file}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    try {
      fs.writeFileSync(fd, data);
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  if (sync) syncDirectory(path.dirname(path.resolve(file)));
}
