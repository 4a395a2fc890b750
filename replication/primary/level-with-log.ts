import fs from 'node:fs';
import { open } from '../../core/index.ts';
import { databaseChecksum, Position, PositionMismatchError, type TransactionLog, type TxRecord } from '../log/index.ts';
import { lastRecordDamaged } from './log-damage-errors.ts';

/**
 * Brings the database file at `path` level with `log` when the log is ahead of it (a crash
 * between the log append and the WAL commit frame, see replication/capture/README.md): opens it
 * without an observer, checkpoints it (`TRUNCATE`), closes it, finds the last record whose
 * `preChecksum` is the file's checksum, writes that record's pages and the later ones into the
 * file as a replica would (pages, size, fsync) and checks the result. Returns how many records it
 * applied (0 when the file was already level).
 *
 * Must run before any connection (and before the capture's observer) is attached to the file.
 * Throws {@link PositionMismatchError} (`have` = the log's last position, `got` = the file's) if
 * no record of the log continues the file: the file is not the log's database, or is ahead of it;
 * a `LogCorruptionError` that says how to recover if the log's last record was damaged
 * after the database got it (opening the log took it for a torn append and cut it off).
 *
 * @example
 * levelWithLog('/srv/app.db', log); // then observe, open, capture.start(db, log.lastPosition())
 */
export async function levelWithLog(path: string, log: TransactionLog): Promise<number> {
  const last = log.lastPosition();
  if (last === undefined || !fs.existsSync(path)) return 0;
  const db = await open(path, { journalMode: 'wal' });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const checksum = databaseChecksum(path);
  if (checksum === last.checksum) return 0;
  const first = log.firstTxid() ?? last.txid;
  let from: bigint | undefined;
  for (let txid = last.txid; txid >= first; txid--) {
    const record = log.readFrom(txid).next().value as TxRecord | undefined;
    if (record?.preChecksum === checksum) {
      from = txid;
      break;
    }
  }
  if (from === undefined) {
    const mismatch = new PositionMismatchError(last, new Position(last.txid, checksum));
    // A tail cut off at open that the database is past: a damaged record, not a torn append.
    if (log.recovery !== undefined) throw lastRecordDamaged(log, last.txid + 1n, checksum, mismatch);
    throw mismatch;
  }
  let applied = 0;
  const fd = fs.openSync(path, 'r+');
  try {
    for (const record of log.readFrom(from)) {
      for (const { pgno, data } of record.pages) fs.writeSync(fd, data, 0, data.length, (pgno - 1) * record.pageSize);
      fs.ftruncateSync(fd, record.commitPageCount * record.pageSize);
      applied++;
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const after = databaseChecksum(path);
  if (after !== last.checksum) throw new PositionMismatchError(last, new Position(last.txid, after));
  return applied;
}
