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
export function lastRecordDamaged(
  log: TransactionLog,
  txid: bigint,
  checksum: bigint,
  cause: Error,
): LogCorruptionError {
  const recovery = log.recovery!;
  const known = recovery.record?.txid === txid && recovery.record.postChecksum === checksum;
  const what = known
    ? `the log's last record (txid ${txid}) is damaged, yet the database has it: it was acknowledged, not a torn append`
    : `the log's last frame (txid ${txid}) was cut off as a torn append (${recovery.reason}), yet the database is past the log: ` +
      'the frame was a damaged record the database has, not a torn append';
  const error = new LogCorruptionError(
    `${what}, so the log cannot continue the database. To recover, ${startAgain(log.dir)}`,
    {
      field: 'checksum',
      offset: recovery.offset,
      path: recovery.path,
    },
  );
  error.cause = cause;
  return error;
}

/**
 * `error` (damage that keeps the log in `dir` from opening: a bad frame or record header in its
 * last segment, which setting segments aside cannot remove) with how to recover added to its
 * message: a new log.
 *
 * @example
 * try { TransactionLog.open(dir, { setAsideDamage: true }) } catch (e) { if (e instanceof LogCorruptionError) throw withRecoveryHint(e, dir); }
 */
export function withRecoveryHint(error: LogCorruptionError, dir: string): LogCorruptionError {
  const hinted = new LogCorruptionError(`${error.reason}. To recover, ${startAgain(dir)}`, {
    field: error.field,
    offset: error.offset,
    ...(error.path === undefined ? {} : { path: error.path }),
  });
  hinted.cause = error;
  return hinted;
}

function startAgain(dir: string): string {
  return (
    `stop every process using ${dir}, move that directory aside (keep it to inspect), and start the primary again: ` +
    `it begins a new log, with a new database identity, from the database as it is, and every replica re-bootstraps from a snapshot`
  );
}
