import { constants } from 'node:os';

/**
 * A Node-style system error (`code`, `syscall`, `path`) for file systems that are not node:fs,
 * so that every backend fails the same way and the VFS maps them with one table.
 *
 * @example
 * throw errnoError('ENOENT', 'open', '/missing.db'); // ENOENT: no such file or directory, open '/missing.db'
 */
export function errnoError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const text = MESSAGES[code] ?? 'i/o error';
  const error: NodeJS.ErrnoException = new Error(
    `${code}: ${text}, ${syscall}${path === undefined ? '' : ` '${path}'`}`,
  );
  error.code = code;
  // Negative like libuv's, so that consumers of Node's errors need no special case.
  const errno = (constants.errno as Record<string, number | undefined>)[code];
  if (errno !== undefined) error.errno = -errno;
  error.syscall = syscall;
  if (path !== undefined) error.path = path;
  return error;
}

const MESSAGES: Record<string, string> = {
  EACCES: 'permission denied',
  EEXIST: 'file already exists',
  EIO: 'i/o error',
  EISDIR: 'illegal operation on a directory',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
};
