import * as fs from 'node:fs';
import { dirname } from 'node:path';
import * as durable from '../../core/util/durable-file.ts';
import { LogIoError } from './log-io-error.ts';

// The log's file system calls, each failing with a LogIoError that keeps Node's error as cause.

export function openFile(path: string, flags: string): number {
  return attempt('open', path, () => fs.openSync(path, flags, 0o644));
}

export function closeFile(fd: number, path: string): void {
  attempt('close', path, () => fs.closeSync(fd));
}

export function fileSize(fd: number, path: string): number {
  return attempt('stat', path, () => fs.fstatSync(fd).size);
}

/** Reads `length` bytes at `position`, or fewer if the file ends first. */
export function readAt(fd: number, path: string, position: number, length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  let done = 0;
  attempt('read', path, () => {
    while (done < length) {
      const n = fs.readSync(fd, buffer, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  });
  return done === length ? buffer : buffer.subarray(0, done);
}

/** Writes all of `parts`, one after another, at `position`. */
export function writeAt(fd: number, path: string, parts: readonly Uint8Array[], position: number): void {
  attempt('write', path, () => {
    let pending = parts.filter((part) => part.length > 0);
    let at = position;
    while (pending.length > 0) {
      let n = fs.writevSync(fd, pending as NodeJS.ArrayBufferView[], at);
      at += n;
      while (pending.length > 0 && n >= pending[0]!.length) n -= pending.shift()!.length;
      if (n > 0) pending = [pending[0]!.subarray(n), ...pending.slice(1)];
    }
  });
}

/** `fdatasync`: the bytes and the size are durable when it returns. */
export function syncFile(fd: number, path: string): void {
  attempt('fsync', path, () => fs.fdatasyncSync(fd));
}

export function truncateFile(fd: number, path: string, size: number): void {
  attempt('truncate', path, () => fs.ftruncateSync(fd, size));
}

/** Makes the directory's entries (created, renamed, deleted files) durable. */
export function syncDirectory(dir: string): void {
  attempt('fsync', dir, () => durable.syncDirectory(dir));
}

export function renameFile(from: string, to: string): void {
  attempt('rename', from, () => fs.renameSync(from, to));
}

export function deleteFile(path: string): void {
  attempt('delete', path, () => fs.unlinkSync(path));
}

export function listDirectory(dir: string): string[] {
  return attempt('list', dir, () => fs.readdirSync(dir));
}

/** Creates `dir` if missing (and syncs its parent so the new entry is durable); returns its real path. */
export function ensureDirectory(dir: string): string {
  const created = attempt('create', dir, () => fs.mkdirSync(dir, { recursive: true }));
  const real = attempt('resolve', dir, () => fs.realpathSync.native(dir));
  if (created !== undefined) syncDirectory(dirname(real));
  return real;
}

function attempt<T>(action: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new LogIoError(action, path, error);
  }
}
