import { join } from 'node:path';
import {
  closeFile, deleteFile, fileSize, listDirectory, openFile, syncDirectory, syncFile, truncateFile,
} from './file-io.ts';
import { LogCorruptionError } from './log-corruption-error.ts';
import { scanSegment, type ScannedSegment } from './segment-scan.ts';
import { parseSegmentName, Segment, TEMP_SUFFIX } from './segment.ts';
import type { TxRecordHeader } from './tx-record.ts';

/**
 * What `TransactionLog.open` discarded: the torn tail of an append cut short by a crash, which was
 * never acknowledged.
 *
 * @example
 * if (log.recovery) console.warn(`cut ${log.recovery.discardedBytes} bytes off ${log.recovery.path}: ${log.recovery.reason}`);
 */
export interface LogRecovery {
  /** The segment file that was cut. */
  readonly path: string;
  /** Where it was cut: the end of its last complete frame. */
  readonly offset: number;
  /** How many bytes were discarded. */
  readonly discardedBytes: number;
  /** Why the discarded bytes were not a complete frame. */
  readonly reason: string;
  /** Whether the segment held nothing else and was deleted. */
  readonly segmentDeleted: boolean;
  /**
   * The header of the record discarded, when it was complete in length and only its body failed
   * its CRC. A crash mid-append leaves such a frame only if the database never got the record;
   * a database at its `postChecksum` means the record was damaged after it was acknowledged.
   */
  readonly record?: TxRecordHeader;
}

/** A log directory's segments as recovered by {@link recoverLog}. */
export interface RecoveredLog {
  readonly segments: Segment[];
  /** The header of the last record, if any. */
  readonly last: TxRecordHeader | undefined;
  readonly recovery: LogRecovery | undefined;
}

/**
 * The segments of the log in `dir` after a crash or a clean close: leftover temporary segments
 * deleted, every segment scanned and checked to continue the one before, and a torn tail cut off
 * the last (durably, if `fsync`). Throws {@link LogCorruptionError} for anything else that is wrong.
 */
export function recoverLog(dir: string, fsync: boolean): RecoveredLog {
  const names: Array<{ name: string; firstTxid: bigint }> = [];
  let directoryChanged = false;
  for (const name of listDirectory(dir)) {
    if (name.endsWith(TEMP_SUFFIX) && parseSegmentName(name.slice(0, -TEMP_SUFFIX.length)) !== undefined) {
      // A segment whose creation never finished: never renamed into place, so never acknowledged.
      deleteFile(join(dir, name));
      directoryChanged = true;
      continue;
    }
    const firstTxid = parseSegmentName(name);
    if (firstTxid !== undefined) names.push({ name, firstTxid });
  }
  names.sort((a, b) => (a.firstTxid < b.firstTxid ? -1 : a.firstTxid > b.firstTxid ? 1 : 0));

  const found: ScannedSegment[] = [];
  const paths: string[] = [];
  let last: TxRecordHeader | undefined;
  let recovery: LogRecovery | undefined;
  for (let i = 0; i < names.length; i++) {
    const { name, firstTxid } = names[i]!;
    const path = join(dir, name);
    if (last !== undefined && firstTxid !== last.txid + 1n) {
      throw new LogCorruptionError(`segment starts at txid ${firstTxid}, the one before ends at txid ${last.txid}`, {
        field: 'firstTxid', offset: 24, path,
      });
    }
    const isLast = i === names.length - 1;
    const scanned = scanSegment(path, { txid: firstTxid, preChecksum: last?.postChecksum, dbId: last?.dbId }, isLast);
    if (scanned.torn !== undefined || scanned.offsets.length === 0) {
      const segmentDeleted = scanned.offsets.length === 0;
      const size = cutTail(path, scanned.end, segmentDeleted, fsync);
      directoryChanged ||= segmentDeleted;
      recovery = {
        path, offset: scanned.end, discardedBytes: size - scanned.end, reason: scanned.torn ?? 'segment holds no records', segmentDeleted,
        ...(scanned.tornRecord === undefined ? {} : { record: scanned.tornRecord }),
      };
      if (segmentDeleted) break;
    }
    found.push(scanned);
    paths.push(path);
    last = scanned.last ?? last;
  }
  if (directoryChanged && fsync) syncDirectory(dir);
  const segments = found.map((scanned, i) => new Segment(paths[i]!, scanned.header, scanned.offsets, scanned.end, i === found.length - 1));
  return { segments, last, recovery };
}

/** Cuts a segment file at `end` (or deletes it), durably; returns its size before. */
function cutTail(path: string, end: number, deleteSegment: boolean, fsync: boolean): number {
  const fd = openFile(path, 'r+');
  let size: number;
  try {
    size = fileSize(fd, path);
    if (!deleteSegment) {
      truncateFile(fd, path, end);
      if (fsync) syncFile(fd, path);
    }
  } finally {
    closeFile(fd, path);
  }
  if (deleteSegment) deleteFile(path);
  return size;
}
