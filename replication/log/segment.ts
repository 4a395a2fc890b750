import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { closeFile, deleteFile, openFile, readAt, renameFile, syncFile, truncateFile, writeAt } from './file-io.ts';
import { LogCorruptionError } from './log-corruption-error.ts';
import { FRAME_HEADER_SIZE, parseFrameHeader } from './log-frame.ts';
import { hex16 } from './position.ts';
import { TxRecord } from './tx-record.ts';

/** Segment file header layout, versions 1 and 2 (FORMAT.md, "Segment file"). Big-endian. */
const MAGIC = 0x574c5347; // 'WLSG'
/** Version 2 frames carry sync group flags ({@link FrameFlags}); version 1 is read, never written. */
export const SEGMENT_VERSION = 2;
export const SEGMENT_HEADER_SIZE = 48;
const AT = {
  magic: 0,
  version: 4,
  flags: 6,
  dbId: 8,
  firstTxid: 24,
  createdAt: 32,
  reserved: 40,
  checksum: 44,
} as const;
const NAME = /^([0-9a-f]{16})\.wlog$/;
/** Suffix of a segment being created: written, synced, then renamed into place. */
export const TEMP_SUFFIX = '.tmp';

/** What a segment file's header says. */
export interface SegmentHeader {
  /** 1 (read only: every frame its own sync group) or 2 (frames carry {@link FrameFlags}). */
  readonly version: number;
  readonly dbId: string;
  readonly firstTxid: bigint;
  /** When the segment was created, in ms since the Unix epoch (informational). */
  readonly createdAt: number;
}

/** One frame as written: its header and its record's bytes (written with one `writev`). */
export type FrameParts = readonly [header: Uint8Array, record: Uint8Array];

/** A record read back from a segment: its verified bytes and what they decode to. */
export interface SegmentEntry {
  readonly bytes: Uint8Array;
  readonly record: TxRecord;
}

/** The file name of the segment whose first record is `firstTxid`: 16 hex digits, `.wlog`. */
export function segmentName(firstTxid: bigint): string {
  return `${hex16(firstTxid)}.wlog`;
}

/** The first txid a segment file name stands for, or `undefined` if it is not a segment's name. */
export function parseSegmentName(name: string): bigint | undefined {
  const match = NAME.exec(name);
  return match === null ? undefined : BigInt(`0x${match[1]}`);
}

export function encodeSegmentHeader(header: SegmentHeader): Uint8Array {
  const bytes = Buffer.alloc(SEGMENT_HEADER_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE);
  view.setUint32(AT.magic, MAGIC);
  view.setUint16(AT.version, header.version);
  view.setUint16(AT.flags, 0);
  bytes.write(header.dbId, AT.dbId, 16, 'hex');
  view.setBigUint64(AT.firstTxid, header.firstTxid);
  view.setBigInt64(AT.createdAt, BigInt(header.createdAt));
  view.setUint32(AT.reserved, 0);
  view.setUint32(AT.checksum, crc32(bytes.subarray(0, AT.checksum)));
  return bytes;
}

/** The header at the start of a segment file; throws {@link LogCorruptionError} if it is not one. */
export function parseSegmentHeader(bytes: Uint8Array, path: string): SegmentHeader {
  const fail = (reason: string, field: keyof typeof AT | 'length', offset: number) =>
    new LogCorruptionError(reason, { field, offset, path });
  if (bytes.length < SEGMENT_HEADER_SIZE) throw fail('segment file ends inside its header', 'length', bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE);
  if (view.getUint32(AT.magic) !== MAGIC) throw fail('bad segment magic', 'magic', AT.magic);
  const version = view.getUint16(AT.version);
  if (version !== SEGMENT_VERSION && version !== 1) {
    throw fail(`unknown segment version ${version}`, 'version', AT.version);
  }
  if (view.getUint32(AT.checksum) !== crc32(bytes.subarray(0, AT.checksum))) {
    throw fail('segment header checksum mismatch', 'checksum', AT.checksum);
  }
  const flags = view.getUint16(AT.flags);
  if (flags !== 0) throw fail(`unknown segment flags 0x${flags.toString(16)}`, 'flags', AT.flags);
  if (view.getUint32(AT.reserved) !== 0) throw fail('reserved field is not zero', 'reserved', AT.reserved);
  return {
    version,
    dbId: Buffer.from(bytes.buffer, bytes.byteOffset + AT.dbId, 16).toString('hex'),
    firstTxid: view.getBigUint64(AT.firstTxid),
    createdAt: Number(view.getBigInt64(AT.createdAt)),
  };
}

/** Where each frame of `group` starts when written at `start`, then where the group ends. */
function frameOffsets(group: readonly FrameParts[], start: number): number[] {
  const offsets = [start];
  for (const [header, record] of group) offsets.push(offsets.at(-1)! + header.length + record.length);
  return offsets;
}

/**
 * One segment file of the log: the records from `firstTxid` on, each in a frame, and an index of
 * where each frame starts. Knows nothing of its neighbours; {@link TransactionLog} keeps them in
 * order and decides when to roll over.
 */
export class Segment {
  readonly path: string;
  readonly firstTxid: bigint;
  readonly dbId: string;
  /** The segment file's version: appends go only to a version {@link SEGMENT_VERSION} segment. */
  readonly version: number;
  /** File offsets of the frames, by `txid - firstTxid`. */
  readonly #offsets: number[];
  /** End of the last complete frame: everything before it is acknowledged. */
  #end: number;
  #fd: number | undefined;
  readonly #writable: boolean;
  /** Set when an append failed in a way that leaves the file's end uncertain. */
  damaged = false;

  /** A segment whose frames were found at `offsets`; `writable` for the one that takes appends. */
  constructor(path: string, header: SegmentHeader, offsets: number[], end: number, writable: boolean, fd?: number) {
    this.path = path;
    this.#writable = writable;
    this.firstTxid = header.firstTxid;
    this.dbId = header.dbId;
    this.version = header.version;
    this.#offsets = offsets;
    this.#end = end;
    this.#fd = fd;
  }

  /**
   * Creates the segment for a sync group: the header and the group's frames are written to a
   * temporary file, synced, and renamed into place, so a segment file exists only with its header
   * and first group complete. The caller syncs the directory to make the new name durable.
   */
  static create(dir: string, header: SegmentHeader, group: readonly FrameParts[], durable: boolean): Segment {
    const path = join(dir, segmentName(header.firstTxid));
    const temp = path + TEMP_SUFFIX;
    const head = encodeSegmentHeader(header);
    const fd = openFile(temp, 'w+');
    try {
      writeAt(fd, temp, [head, ...group.flat()], 0);
      if (durable) syncFile(fd, temp);
      renameFile(temp, path);
    } catch (error) {
      try {
        closeFile(fd, temp);
        deleteFile(temp);
      } catch {
        // The temporary file is removed when the log is next opened.
      }
      throw error;
    }
    const offsets = frameOffsets(group, SEGMENT_HEADER_SIZE);
    return new Segment(path, header, offsets.slice(0, -1), offsets.at(-1)!, true, fd);
  }

  /** The txid of the last record; `firstTxid - 1n` while empty. */
  get lastTxid(): bigint {
    return this.firstTxid + BigInt(this.#offsets.length) - 1n;
  }

  /** Bytes of complete frames, header included. */
  get size(): number {
    return this.#end;
  }

  /**
   * The record `txid` (which must be in this segment), read and fully verified. Throws
   * {@link LogCorruptionError} with the file offset if the bytes are damaged.
   */
  read(txid: bigint): SegmentEntry {
    const index = Number(txid - this.firstTxid);
    const start = this.#offsets[index]!;
    const end = this.#offsets[index + 1] ?? this.#end;
    const bytes = readAt(this.#open(), this.path, start, end - start);
    const frame = parseFrameHeader(bytes, this.version);
    if ('invalid' in frame) {
      throw new LogCorruptionError('bad frame header', {
        field: `frame.${frame.invalid}`,
        offset: start,
        path: this.path,
      });
    }
    if (frame.txid !== txid || FRAME_HEADER_SIZE + frame.length !== bytes.length) {
      throw new LogCorruptionError(
        `frame of txid ${frame.txid} and length ${frame.length} where txid ${txid} was indexed`,
        {
          field: 'frame.txid',
          offset: start,
          path: this.path,
        },
      );
    }
    const record = bytes.subarray(FRAME_HEADER_SIZE);
    try {
      return { bytes: record, record: TxRecord.decode(record) };
    } catch (error) {
      if (error instanceof LogCorruptionError) throw error.inFile(this.path, start + FRAME_HEADER_SIZE);
      throw error;
    }
  }

  /**
   * The trailing CRC-32 of record `txid` (which must be in this segment), read from the file: the
   * 4 bytes before the next frame. Not verified against the record (see {@link Segment.read}).
   */
  trailer(txid: bigint): number {
    const index = Number(txid - this.firstTxid);
    const end = this.#offsets[index + 1] ?? this.#end;
    const bytes = readAt(this.#open(), this.path, end - 4, 4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  }

  /**
   * Writes one sync group (its frames flagged by the caller) after the last frame with one `writev`
   * and, if `durable`, one `fdatasync`; the frames are indexed only once that has returned. On a
   * failed write the file is cut back to its previous end, so the segment stays as it was; if even
   * that fails, or the fsync fails (the kernel may have dropped pages it could not write), `damaged`
   * is set and the segment must not be appended to again.
   */
  append(group: readonly FrameParts[], durable: boolean): void {
    const fd = this.#open();
    const start = this.#end;
    try {
      writeAt(fd, this.path, group.flat(), start);
    } catch (error) {
      try {
        truncateFile(fd, this.path, start);
      } catch {
        this.damaged = true;
      }
      throw error;
    }
    if (durable) {
      try {
        syncFile(fd, this.path);
      } catch (error) {
        this.damaged = true;
        throw error;
      }
    }
    const offsets = frameOffsets(group, start);
    this.#end = offsets.pop()!;
    this.#offsets.push(...offsets);
  }

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeFile(fd, this.path);
  }

  #open(): number {
    if (this.#fd === undefined) this.#fd = openFile(this.path, this.#writable ? 'r+' : 'r');
    return this.#fd;
  }
}
