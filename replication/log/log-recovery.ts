import { join } from 'node:path';
import {
  closeFile,
  deleteFile,
  fileSize,
  listDirectory,
  openFile,
  renameFile,
  syncDirectory,
  syncFile,
  truncateFile,
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

/**
 * What `TransactionLog.open` set aside with `setAsideDamage`: damaged segment files that are not
 * the last, with every older one, renamed to `<name>.damaged`, so that the log opens from the
 * segment after them (as if compacted up to it).
 *
 * @example
 * if (log.setAside) console.warn(`txids ${log.setAside.firstTxid}..${log.setAside.lastTxid} set aside: ${log.setAside.error.message}`);
 */
export interface SetAsideSegments {
  /** The files as renamed, oldest first. */
  readonly paths: readonly string[];
  /** The txids the log no longer holds: from the first file's first to the one before the log's first. */
  readonly firstTxid: bigint;
  readonly lastTxid: bigint;
  /** The damage found (the first, if several). */
  readonly error: LogCorruptionError;
}

/** A log directory's segments as recovered by {@link recoverLog}. */
export interface RecoveredLog {
  readonly segments: Segment[];
  /** The header of the last record, if any. */
  readonly last: TxRecordHeader | undefined;
  readonly recovery: LogRecovery | undefined;
  readonly setAside: SetAsideSegments | undefined;
}

/** The suffix a segment file set aside as damaged is renamed with; the log ignores such files. */
export const DAMAGED_SUFFIX = '.damaged';

/**
 * The segments of the log in `dir` after a crash or a clean close: leftover temporary segments
 * deleted, every segment scanned and checked to continue the one before, and a torn tail cut off
 * the last (durably, if `fsync`). Throws {@link LogCorruptionError} for anything else that is
 * wrong, unless `setAsideDamage`: then damage in (or before) a segment that is not the last sets
 * that segment and the older ones aside ({@link SetAsideSegments}); damage in the last one still
 * throws, and nothing is renamed then.
 */
export function recoverLog(dir: string, fsync: boolean, setAsideDamage = false): RecoveredLog {
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
  const setAside: string[] = [];
  let damage: LogCorruptionError | undefined;
  for (let i = 0; i < names.length; i++) {
    const { name, firstTxid } = names[i]!;
    const path = join(dir, name);
    const isLast = i === names.length - 1;
    let scanned: ScannedSegment;
    try {
      if (last !== undefined && firstTxid !== last.txid + 1n) {
        throw new LogCorruptionError(`segment starts at txid ${firstTxid}, the one before ends at txid ${last.txid}`, {
          field: 'firstTxid',
          offset: 24,
          path,
        });
      }
      scanned = scanSegment(
        path,
        { txid: firstTxid, preChecksum: last?.postChecksum, dbId: last?.dbId, epoch: last?.epoch },
        isLast,
      );
    } catch (error) {
      if (!setAsideDamage || !(error instanceof LogCorruptionError)) throw error;
      // Damage where this segment meets the ones before (a gap, a broken chain) sets those aside
      // and this one is read again on its own; damage inside it sets it aside too.
      const alone = found.length === 0 ? undefined : scanAlone(path, firstTxid, isLast);
      if (alone === undefined && isLast) throw error;
      damage ??= error;
      setAside.push(...paths);
      found.length = 0;
      paths.length = 0;
      last = undefined;
      if (alone === undefined) {
        setAside.push(path);
        continue;
      }
      scanned = alone;
    }
    if (scanned.torn !== undefined || scanned.offsets.length === 0) {
      const segmentDeleted = scanned.offsets.length === 0;
      const size = cutTail(path, scanned.end, segmentDeleted, fsync);
      directoryChanged ||= segmentDeleted;
      recovery = {
        path,
        offset: scanned.end,
        discardedBytes: size - scanned.end,
        reason: scanned.torn ?? 'segment holds no records',
        segmentDeleted,
        ...(scanned.tornRecord === undefined ? {} : { record: scanned.tornRecord }),
      };
      if (segmentDeleted) break;
    }
    found.push(scanned);
    paths.push(path);
    last = scanned.last ?? last;
  }
  let setAsideSegments: SetAsideSegments | undefined;
  if (damage !== undefined) {
    const renamed = setAside.map((path) => `${path}${DAMAGED_SUFFIX}`);
    setAside.forEach((path, i) => renameFile(path, renamed[i]!));
    directoryChanged = true;
    const firstKept = found[0]?.header.firstTxid ?? names.at(-1)!.firstTxid;
    setAsideSegments = { paths: renamed, firstTxid: names[0]!.firstTxid, lastTxid: firstKept - 1n, error: damage };
  }
  if (directoryChanged && fsync) syncDirectory(dir);
  const segments = found.map(
    (scanned, i) => new Segment(paths[i]!, scanned.header, scanned.offsets, scanned.end, i === found.length - 1),
  );
  return { segments, last, recovery, setAside: setAsideSegments };
}

/** The segment at `path` scanned with nothing before it, or `undefined` if it is damaged itself. */
function scanAlone(path: string, firstTxid: bigint, isLast: boolean): ScannedSegment | undefined {
  try {
    return scanSegment(path, { txid: firstTxid, preChecksum: undefined, dbId: undefined, epoch: undefined }, isLast);
  } catch (error) {
    if (!(error instanceof LogCorruptionError)) throw error;
    return undefined;
  }
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
