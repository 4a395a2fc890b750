import { basename } from 'node:path';
import { LogCorruptionError, type TransactionLog } from '../log/index.ts';

/**
 * The error for a database past its log right after opening the log cut a "torn" tail off: the
 * cut record was damaged after the database got it (an acknowledged record, not a torn append),
 * so the log cannot continue the database. A {@link LogCorruptionError} whose message says how to
 * start again, with the position comparison as `cause`. It names the record when its header was
 * sound and its `postChecksum` is the database's.
 *
 * @example
 * throw lastRecordDamaged(log, 42n, databaseChecksum(path), mismatch);
 */
export function lastRecordDamaged(log: TransactionLog, txid: bigint, checksum: bigint, cause: Error): LogCorruptionError {
  const recovery = log.recovery!;
  const known = recovery.record?.txid === txid && recovery.record.postChecksum === checksum;
  const what = known
    ? `the log's last record (txid ${txid}) is damaged, yet the database has it: it was acknowledged, not a torn append`
    : `the log's last frame (txid ${txid}) was cut off as a torn append (${recovery.reason}), yet the database is past the log: `
      + 'the frame was a damaged record the database has, not a torn append';
  const error = new LogCorruptionError(`${what}, so the log cannot continue the database. To recover, ${startAgain(log.dir)}`, {
    field: 'checksum', offset: recovery.offset, path: recovery.path,
  });
  error.cause = cause;
  return error;
}

/**
 * `error` (damage that keeps the log in `dir` from opening: a bad segment, frame or record
 * header) with how to recover added to its message. Damage in a segment other than the last goes
 * with that segment and the older ones (the primary then serves the log from the next segment on,
 * and replicas below it get a snapshot); damage in the last segment needs a new log.
 *
 * @example
 * try { TransactionLog.open(dir) } catch (e) { if (e instanceof LogCorruptionError) throw withRecoveryHint(e, dir, segments); }
 */
export function withRecoveryHint(error: LogCorruptionError, dir: string, segmentNames: readonly string[]): LogCorruptionError {
  const damaged = error.path === undefined ? -1 : segmentNames.indexOf(basename(error.path));
  const last = segmentNames.length - 1;
  const how = damaged !== -1 && damaged < last
    ? `stop every process using ${dir} and delete ${segmentNames[damaged]} and the segment files before it `
      + `(${damaged + 1} of ${segmentNames.length}): the primary then serves the log from ${segmentNames[damaged + 1]} on, and replicas `
      + `that need an older record re-bootstrap from a snapshot`
    : startAgain(dir);
  return new LogCorruptionError(`${error.reason}. To recover, ${how}`, { field: error.field, offset: error.offset, ...(error.path === undefined ? {} : { path: error.path }) });
}

function startAgain(dir: string): string {
  return `stop every process using ${dir}, move that directory aside (keep it to inspect), and start the primary again: `
    + `it begins a new log, with a new database identity, from the database as it is, and every replica re-bootstraps from a snapshot`;
}
