/**
 * What went wrong with an archive, as a string code:
 * - `ARCHIVE_DAMAGED`: an object's bytes are not what its name and checksums say;
 * - `ARCHIVE_MISSING`: an object the restore needs is not in the archive;
 * - `ARCHIVE_VERSION`: an object of a format version this wasmlite does not read;
 * - `NOT_RESTORABLE`: no snapshot and unbroken run of records reaches the requested point;
 * - `ARCHIVE_TARGET`: the target cannot be used (no S3 client installed, a bad location).
 */
export type ArchiveErrorCode =
  'ARCHIVE_DAMAGED' | 'ARCHIVE_MISSING' | 'ARCHIVE_VERSION' | 'NOT_RESTORABLE' | 'ARCHIVE_TARGET';

/**
 * A backup archive cannot be read or written as asked. Carries the `code` and, where one object
 * is at fault, its name in the archive (`object`), so that an operator knows which one to look
 * at; the low-level error is the `cause`.
 *
 * @example
 * try {
 *   await restore({ from: '/mnt/backup', to: 'app.db' });
 * } catch (error) {
 *   if (error instanceof ArchiveError) console.error(error.code, error.object);
 * }
 * // error.message: 'archive object 8c5e…-0000018bcfe56800/records/…wlrb is damaged: checksum mismatch'
 */
export class ArchiveError extends Error {
  readonly code: ArchiveErrorCode;
  /** The archive object at fault (its name under the target's prefix), if one is. */
  readonly object: string | undefined;

  constructor(code: ArchiveErrorCode, message: string, object?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.object = object;
  }

  override get name(): string {
    return 'ArchiveError';
  }
}
