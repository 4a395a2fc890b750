/**
 * A file system call of the transaction log failed: `cause` is Node's own error (`ENOSPC`, `EIO`,
 * `EACCES`, …) and `code` its errno code. After a failed append the record is not in the log
 * (nothing was acknowledged); after a failed `fsync` the log refuses further appends, because the
 * kernel may already have dropped the unsynced pages: reopen it, which re-reads what is on disk.
 *
 * @example
 * try {
 *   log.append(record);
 * } catch (error) {
 *   if (error instanceof LogIoError && error.code === 'ENOSPC') alertOperator(error.path);
 * }
 * // error.message: 'cannot write /srv/log/0000000000000001.wlog: ENOSPC: no space left on device, write'
 */
export class LogIoError extends Error {
  /** The file or directory the call was about. */
  readonly path: string;
  /** The errno code of the cause (`'ENOSPC'`), or `undefined`. */
  readonly code: string | undefined;

  constructor(action: string, path: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`cannot ${action} ${path}: ${detail}`, { cause });
    this.path = path;
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }

  override get name(): string {
    return 'LogIoError';
  }
}
