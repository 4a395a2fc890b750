import { WasmliteError } from '../../core/util/wasmlite-error.ts';
/**
 * Where in the bytes a {@link LogCorruptionError} was found.
 *
 * @example
 * new LogCorruptionError('bad magic', { field: 'magic', offset: 0 });
 */
export interface CorruptionSite {
  /** The field that is wrong, named as in FORMAT.md (`'magic'`, `'pageSize'`, `'checksum'`, …). */
  readonly field: string;
  /** Byte offset of that field: in the record for `TxRecord.decode`, in the file for a log file. */
  readonly offset: number;
  /** The segment file, when the bytes came from one. */
  readonly path?: string;
}

/**
 * Bytes that claim to be a transaction record, a log frame or a segment file are not valid:
 * a bad magic, an unknown version, a length that does not add up, pages out of order, a checksum
 * that does not match. Carries what is wrong (`reason`), the field and offset at fault, and the
 * file for the log. Corrupt data is never repaired or skipped: the only bytes the log discards on
 * its own are a torn tail (an append cut short by a crash), see FORMAT.md.
 *
 * @example
 * try {
 *   TxRecord.decode(bytes);
 * } catch (error) {
 *   if (error instanceof LogCorruptionError) console.log(error.field, error.offset);
 * }
 * // error.message: 'corrupt log record: checksum mismatch (field checksum at offset 8292)'
 */
export class LogCorruptionError extends WasmliteError {
  /** What is wrong, in a few words (`'checksum mismatch'`). */
  readonly reason: string;
  /** The field that is wrong. */
  readonly field: string;
  /** Byte offset of the field (in the record, or in `path`). */
  readonly offset: number;
  /** The segment file, when the bytes came from one. */
  readonly path: string | undefined;

  constructor(reason: string, site: CorruptionSite) {
    const where = site.path === undefined ? '' : ` in ${site.path}`;
    super(`corrupt log record: ${reason} (field ${site.field} at offset ${site.offset}${where})`, 'LOG_CORRUPT');
    this.reason = reason;
    this.field = site.field;
    this.offset = site.offset;
    this.path = site.path;
  }

  /** This error found in the bytes at `base` of the file `path`: the offset becomes a file offset. */
  inFile(path: string, base: number): LogCorruptionError {
    return new LogCorruptionError(this.reason, { field: this.field, offset: base + this.offset, path });
  }

  override get name(): string {
    return 'LogCorruptionError';
  }
}
