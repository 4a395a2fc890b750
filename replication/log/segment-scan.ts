import { closeFile, fileSize, openFile, readAt } from './file-io.ts';
import { LogCorruptionError } from './log-corruption-error.ts';
import { FRAME_HEADER_SIZE, FRAME_MAGIC, parseFrameHeader } from './log-frame.ts';
import { hex16 } from './position.ts';
import { parseSegmentHeader, SEGMENT_HEADER_SIZE, type SegmentHeader } from './segment.ts';
import { TxRecord, type TxRecordHeader } from './tx-record.ts';

/** What continues a segment: the txid and pre checksum its first record must have. */
export interface Continuation {
  readonly txid: bigint;
  /** The post checksum of the record before, or `undefined` at the start of the log. */
  readonly preChecksum: bigint | undefined;
  readonly dbId: string | undefined;
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
 * and that txids and checksums follow on from `from`. Record bodies are verified when read,
 * except the last frame of the last segment, whose body is checked here.
 *
 * In a sealed segment (`isLast` false) anything wrong is a {@link LogCorruptionError}. In the last
 * segment the first frame that is not right starts a torn tail, unless a complete, valid frame of a
 * later txid follows it: then the bad frame is in the middle of the log, which is corruption. An
 * append is the only write in flight when a process dies, so a torn tail never has a valid frame
 * after it (FORMAT.md, "Torn tails").
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
    let offset = SEGMENT_HEADER_SIZE;
    let txid = from.txid;
    let pre = from.preChecksum;
    let broken: Break | undefined;
    let tornRecord: TxRecordHeader | undefined;
    while (offset < size) {
      const frame = checkFrame(fd, path, offset, size, txid, pre, header.dbId);
      if ('reason' in frame) {
        broken = frame;
        break;
      }
      offsets.push(offset);
      headers.push(frame.header);
      pre = frame.header.postChecksum;
      txid++;
      offset += FRAME_HEADER_SIZE + frame.header.length;
    }
    if (broken === undefined && isLast && offsets.length > 0) {
      // Complete in length, the last frame can still be an append whose bytes never reached the
      // disk (the size did): only its own checksum tells.
      const start = offsets[offsets.length - 1]!;
      broken = checkBody(fd, path, start, offset);
      if (broken !== undefined) {
        offsets.pop();
        tornRecord = headers.pop();
        txid--;
      }
    }
    if (broken === undefined) {
      if (offsets.length === 0 && !isLast) {
        throw new LogCorruptionError('sealed segment holds no records', { field: 'length', offset: size, path });
      }
      return { header, offsets, end: offset, last: headers.at(-1), torn: undefined };
    }
    if (!isLast) throw new LogCorruptionError(broken.reason, { field: broken.field, offset: broken.fieldOffset, path });
    const follower = findValidFrame(fd, path, broken.frameOffset + 1, size, txid);
    if (follower !== undefined) {
      throw new LogCorruptionError(
        `${broken.reason}, yet the valid record of txid ${follower.txid} follows at offset ${follower.offset}`,
        {
          field: broken.field,
          offset: broken.fieldOffset,
          path,
        },
      );
    }
    return {
      header,
      offsets,
      end: broken.frameOffset,
      last: headers.at(-1),
      torn: broken.reason,
      ...(tornRecord === undefined ? {} : { tornRecord }),
    };
  } finally {
    closeFile(fd, path);
  }
}

function checkFrame(
  fd: number,
  path: string,
  offset: number,
  size: number,
  txid: bigint,
  pre: bigint | undefined,
  dbId: string,
): { header: TxRecordHeader } | Break {
  const at = (reason: string, field: string, fieldOffset = offset): Break => ({
    frameOffset: offset,
    field,
    fieldOffset,
    reason,
  });
  if (size - offset < FRAME_HEADER_SIZE) return at('frame header cut short', 'frame.length');
  const head = readAt(fd, path, offset, Math.min(size - offset, FRAME_HEADER_SIZE + TxRecord.HEADER_SIZE));
  const frame = parseFrameHeader(head);
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
  return { header };
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

/** The first complete, valid frame of txid `minTxid` or later in `from..size`, if any. */
function findValidFrame(
  fd: number,
  path: string,
  from: number,
  size: number,
  minTxid: bigint,
): { txid: bigint; offset: number } | undefined {
  if (from >= size) return undefined;
  const tail = readAt(fd, path, from, size - from) as Buffer;
  for (let at = tail.indexOf(FRAME_MAGIC); at !== -1; at = tail.indexOf(FRAME_MAGIC, at + 1)) {
    const frame = parseFrameHeader(tail.subarray(at));
    if ('invalid' in frame || frame.txid < minTxid || frame.length > tail.length - at - FRAME_HEADER_SIZE) continue;
    try {
      const record = TxRecord.decode(tail.subarray(at + FRAME_HEADER_SIZE, at + FRAME_HEADER_SIZE + frame.length));
      if (record.txid === frame.txid) return { txid: frame.txid, offset: from + at };
    } catch (error) {
      if (!(error instanceof LogCorruptionError)) throw error;
    }
  }
  return undefined;
}
