import { closeFile, fileSize, openFile, readAt } from './file-io.ts';
import { LogCorruptionError } from './log-corruption-error.ts';
import { FRAME_HEADER_SIZE, FRAME_MAGIC, FrameFlags, parseFrameHeader } from './log-frame.ts';
import { hex16 } from './position.ts';
import { parseSegmentHeader, SEGMENT_HEADER_SIZE, type SegmentHeader } from './segment.ts';
import { TxRecord, type TxRecordHeader } from './tx-record.ts';

/** What continues a segment: the txid and pre checksum its first record must have. */
export interface Continuation {
  readonly txid: bigint;
  /** The post checksum of the record before, or `undefined` at the start of the log. */
  readonly preChecksum: bigint | undefined;
  readonly dbId: string | undefined;
  /** The epoch of the record before: the first record's may not be lower. */
  readonly epoch: bigint | undefined;
}

/** A segment file as found on disk. */
export interface ScannedSegment {
  readonly header: SegmentHeader;
  /** File offsets of the complete frames. */
  readonly offsets: number[];
  /** End of the last complete frame: where the file is cut if it is longer. */
  readonly end: number;
  /** The header of the last complete record. */
  readonly last: TxRecordHeader | undefined;
  /** Why the bytes from `end` on are not a complete frame (a torn tail), if they are there. */
  readonly torn: string | undefined;
  /**
   * The header of the record cut off, when the torn frame was complete in length with a sound
   * header and only its body failed its CRC: what tells a torn append from a damaged record.
   */
  readonly tornRecord?: TxRecordHeader;
}

/** A place where the frames stop making sense. */
interface Break {
  /** Where the frame starts: the log would be cut here. */
  readonly frameOffset: number;
  readonly field: string;
  readonly fieldOffset: number;
  readonly reason: string;
}

/**
 * Reads a segment's header and walks its frames, checking each frame header, each record header
 * and that txids, checksums and epochs follow on from `from`. Record bodies are verified when
 * read, except those of the last sync group of the last segment, which are checked here.
 *
 * In a sealed segment (`isLast` false) anything wrong is a {@link LogCorruptionError}. In the last
 * segment the first frame that is not right (the break) is in the last sync group, which a crash
 * during its one `fdatasync` may have left with any of its blocks lost, unless the bytes after the
 * break show a later group (a valid frame that starts a group, or one that ends a group with more
 * bytes after it): then the bad frame was synced before, which is corruption. Otherwise the log is
 * cut at the end of the last complete group before the break (FORMAT.md, "Torn tails"). An epoch
 * lower than the record's before is corruption wherever it is: no crash writes a valid one.
 */
export function scanSegment(path: string, from: Continuation, isLast: boolean): ScannedSegment {
  const fd = openFile(path, 'r');
  try {
    const size = fileSize(fd, path);
    const header = parseSegmentHeader(readAt(fd, path, 0, SEGMENT_HEADER_SIZE), path);
    if (header.firstTxid !== from.txid) {
      throw new LogCorruptionError(`segment holds txid ${header.firstTxid} on, txid ${from.txid} was expected`, {
        field: 'firstTxid',
        offset: 24,
        path,
      });
    }
    if (from.dbId !== undefined && header.dbId !== from.dbId) {
      throw new LogCorruptionError(`segment of database ${header.dbId} in the log of ${from.dbId}`, {
        field: 'dbId',
        offset: 8,
        path,
      });
    }
    const offsets: number[] = [];
    const headers: TxRecordHeader[] = [];
    const flags: number[] = [];
    let offset = SEGMENT_HEADER_SIZE;
    let txid = from.txid;
    let pre = from.preChecksum;
    let epoch = from.epoch;
    let broken: Break | undefined;
    let tornRecord: TxRecordHeader | undefined;
    while (offset < size) {
      const frame = checkFrame(fd, path, header.version, offset, size, txid, pre, header.dbId);
      if ('reason' in frame) {
        broken = frame;
        break;
      }
      if (epoch !== undefined && frame.header.epoch < epoch) {
        throw new LogCorruptionError(`epoch ${frame.header.epoch} after epoch ${epoch}: epochs never decrease`, {
          field: 'epoch',
          offset: offset + FRAME_HEADER_SIZE + 40,
          path,
        });
      }
      offsets.push(offset);
      headers.push(frame.header);
      flags.push(frame.flags);
      pre = frame.header.postChecksum;
      epoch = frame.header.epoch;
      txid++;
      offset += FRAME_HEADER_SIZE + frame.header.length;
    }
    const count = offsets.length;
    if (broken === undefined && count > 0) {
      const lastGroup = groupsBefore(flags, count - 1);
      if (!isLast && (flags[count - 1]! & FrameFlags.GROUP_END) === 0) {
        throw new LogCorruptionError('sealed segment ends inside a sync group', {
          field: 'frame.flags',
          offset: offsets[count - 1]! + 4,
          path,
        });
      }
      if (isLast) {
        // Complete in length, the frames of the last group can still hold blocks that never reached
        // the disk (the size did): only their own checksums tell.
        for (let i = lastGroup; i < count && broken === undefined; i++) {
          broken = checkBody(fd, path, offsets[i]!, offsets[i + 1] ?? offset);
          if (broken !== undefined) tornRecord = headers[i];
        }
        if (broken === undefined && (flags[count - 1]! & FrameFlags.GROUP_END) === 0) {
          broken = {
            frameOffset: offsets[lastGroup]!,
            field: 'frame.flags',
            fieldOffset: offsets[count - 1]! + 4,
            reason: 'the last sync group has no end: its sync never completed',
          };
        }
      }
    }
    if (broken === undefined) {
      if (count === 0 && !isLast) {
        throw new LogCorruptionError('sealed segment holds no records', { field: 'length', offset: size, path });
      }
      return { header, offsets, end: offset, last: headers.at(-1), torn: undefined };
    }
    if (!isLast) throw new LogCorruptionError(broken.reason, { field: broken.field, offset: broken.fieldOffset, path });
    const before = offsets.findIndex((at) => at >= broken.frameOffset);
    const kept = groupsBefore(flags, before === -1 ? count : before);
    const later = findLaterGroup(fd, path, header.version, broken.frameOffset + 1, size, from.txid + BigInt(kept));
    if (later !== undefined) {
      throw new LogCorruptionError(
        `${broken.reason}, yet the valid record of txid ${later.txid} follows at offset ${later.offset} (it ${later.why})`,
        { field: broken.field, offset: broken.fieldOffset, path },
      );
    }
    const end = kept < count ? offsets[kept]! : broken.frameOffset;
    offsets.length = kept;
    headers.length = kept;
    return {
      header,
      offsets,
      end,
      last: headers.at(-1),
      torn: broken.reason,
      ...(tornRecord === undefined ? {} : { tornRecord }),
    };
  } finally {
    closeFile(fd, path);
  }
}

/** How many of the first `count` frames belong to complete sync groups (end with `GROUP_END`). */
function groupsBefore(flags: readonly number[], count: number): number {
  for (let i = count - 1; i >= 0; i--) if ((flags[i]! & FrameFlags.GROUP_END) !== 0) return i + 1;
  return 0;
}

function checkFrame(
  fd: number,
  path: string,
  version: number,
  offset: number,
  size: number,
  txid: bigint,
  pre: bigint | undefined,
  dbId: string,
): { header: TxRecordHeader; flags: number } | Break {
  const at = (reason: string, field: string, fieldOffset = offset): Break => ({
    frameOffset: offset,
    field,
    fieldOffset,
    reason,
  });
  if (size - offset < FRAME_HEADER_SIZE) return at('frame header cut short', 'frame.length');
  const head = readAt(fd, path, offset, Math.min(size - offset, FRAME_HEADER_SIZE + TxRecord.HEADER_SIZE));
  const frame = parseFrameHeader(head, version);
  if ('invalid' in frame) return at('bad frame header', `frame.${frame.invalid}`);
  if (frame.txid !== txid) return at(`frame of txid ${frame.txid} where txid ${txid} belongs`, 'frame.txid');
  if (frame.length > size - offset - FRAME_HEADER_SIZE) return at('record cut short', 'frame.length');
  let header: TxRecordHeader;
  try {
    header = TxRecord.readHeader(head.subarray(FRAME_HEADER_SIZE));
  } catch (error) {
    if (!(error instanceof LogCorruptionError)) throw error;
    return at(error.reason, error.field, offset + FRAME_HEADER_SIZE + error.offset);
  }
  const record = offset + FRAME_HEADER_SIZE;
  if (header.length !== frame.length)
    return at(`record of ${header.length} bytes in a frame of ${frame.length}`, 'length', record + 8);
  if (header.txid !== txid)
    return at(`record of txid ${header.txid} in the frame of txid ${txid}`, 'txid', record + 32);
  if (header.dbId !== dbId) return at(`record of database ${header.dbId} in a segment of ${dbId}`, 'dbId', record + 16);
  if (pre !== undefined && header.preChecksum !== pre) {
    return at(
      `pre checksum ${hex16(header.preChecksum)} does not continue from ${hex16(pre)}`,
      'preChecksum',
      record + 72,
    );
  }
  return { header, flags: frame.flags };
}

/** Verifies the whole record of the frame at `start..end`: `undefined` if it is sound. */
function checkBody(fd: number, path: string, start: number, end: number): Break | undefined {
  const record = start + FRAME_HEADER_SIZE;
  try {
    TxRecord.decode(readAt(fd, path, record, end - record));
    return undefined;
  } catch (error) {
    if (!(error instanceof LogCorruptionError)) throw error;
    return { frameOffset: start, field: error.field, fieldOffset: record + error.offset, reason: error.reason };
  }
}

/**
 * The first complete, valid frame of txid `minTxid` or later in `from..size` that shows a sync
 * group after the one the bytes at `from - 1` are in: one that starts a group, or one that ends a
 * group before the end of the file. In a version 1 segment every frame does (each is a group).
 */
function findLaterGroup(
  fd: number,
  path: string,
  version: number,
  from: number,
  size: number,
  minTxid: bigint,
): { txid: bigint; offset: number; why: string } | undefined {
  if (from >= size) return undefined;
  const tail = readAt(fd, path, from, size - from) as Buffer;
  for (let at = tail.indexOf(FRAME_MAGIC); at !== -1; at = tail.indexOf(FRAME_MAGIC, at + 1)) {
    const frame = parseFrameHeader(tail.subarray(at), version);
    if ('invalid' in frame || frame.txid < minTxid || frame.length > tail.length - at - FRAME_HEADER_SIZE) continue;
    const end = at + FRAME_HEADER_SIZE + frame.length;
    const starts = (frame.flags & FrameFlags.GROUP_START) !== 0;
    const endsEarly = (frame.flags & FrameFlags.GROUP_END) !== 0 && end < tail.length;
    if (!starts && !endsEarly) continue;
    try {
      const record = TxRecord.decode(tail.subarray(at + FRAME_HEADER_SIZE, end));
      if (record.txid !== frame.txid) continue;
      const why = starts ? 'starts a later sync group' : 'ends a sync group with more after it';
      return { txid: frame.txid, offset: from + at, why };
    } catch (error) {
      if (!(error instanceof LogCorruptionError)) throw error;
    }
  }
  return undefined;
}
