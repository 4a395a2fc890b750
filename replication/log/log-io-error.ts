import { WasmliteError } from '../../core/util/wasmlite-error.ts';
/**
 * A file system call of the transaction log failed: `cause` is Node's own error (`ENOSPC`, `EIO`,
 * `EACCES`, …) and `code` its errno code (`LOG_IO` if it has none). After a failed append the record is not in the log
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
export class LogIoError extends WasmliteError {
  /** The file or directory the call was about. */
  readonly path: string;

  constructor(action: string, path: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const errno = (cause as { code?: unknown } | null)?.code;
    super(`cannot ${action} ${path}: ${detail}`, typeof errno === 'string' ? errno : 'LOG_IO', { cause });
    this.path = path;
  }

  override get name(): string {
    return 'LogIoError';
  }
}
