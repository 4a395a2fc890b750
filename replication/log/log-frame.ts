import { crc32 } from 'node:zlib';

/** Frame layout (FORMAT.md, "Log frame"). Big-endian. */
const MAGIC = 0x574c4652; // 'WLFR'
export const FRAME_HEADER_SIZE = 28;
const AT = { magic: 0, flags: 4, txid: 8, length: 16, checksum: 24 } as const;

/**
 * Frame flags of a version 2 segment (FORMAT.md, "Sync groups"): the frames one `fdatasync` made
 * durable together form a sync group; its first frame has `GROUP_START`, its last `GROUP_END`
 * (a group of one frame has both). A version 1 segment's frames have flags 0 and are each a group.
 */
export const FrameFlags = { GROUP_START: 0x1, GROUP_END: 0x2 } as const;
const KNOWN_FLAGS = FrameFlags.GROUP_START | FrameFlags.GROUP_END;
/** What the flags of a version 1 frame (always 0) stand for: each frame was synced on its own. */
const V1_FLAGS = KNOWN_FLAGS;

/** What a valid frame header says. */
export interface FrameHeader {
  readonly txid: bigint;
  /** Length of the record that follows the frame header. */
  readonly length: number;
  /** {@link FrameFlags}; a version 1 frame reads as a whole group (both set). */
  readonly flags: number;
}

/**
 * The header that precedes every record in a segment file: magic, flags, the record's txid and
 * length, and a CRC-32 of those 24 bytes. `flags` are {@link FrameFlags} (version 2 segments).
 */
export function encodeFrameHeader(txid: bigint, length: number, flags: number): Uint8Array {
  const bytes = new Uint8Array(FRAME_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(AT.magic, MAGIC);
  view.setUint32(AT.flags, flags);
  view.setBigUint64(AT.txid, txid);
  view.setBigUint64(AT.length, BigInt(length));
  view.setUint32(AT.checksum, crc32(bytes.subarray(0, AT.checksum)));
  return bytes;
}

/**
 * The frame header at the start of `bytes`, or why it is not one (a string naming the field):
 * a frame header is either entirely right or not a frame header, which is how a torn tail is
 * told from a complete frame. `segmentVersion` says which flags are allowed: none in version 1.
 */
export function parseFrameHeader(
  bytes: Uint8Array,
  segmentVersion: number,
): FrameHeader | { readonly invalid: string } {
  if (bytes.length < FRAME_HEADER_SIZE) return { invalid: 'length' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_SIZE);
  if (view.getUint32(AT.magic) !== MAGIC) return { invalid: 'magic' };
  if (view.getUint32(AT.checksum) !== crc32(bytes.subarray(0, AT.checksum))) return { invalid: 'checksum' };
  const flags = view.getUint32(AT.flags);
  if (segmentVersion === 1 ? flags !== 0 : (flags & ~KNOWN_FLAGS) !== 0) return { invalid: 'flags' };
  const length = view.getBigUint64(AT.length);
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) return { invalid: 'length' };
  return { txid: view.getBigUint64(AT.txid), length: Number(length), flags: segmentVersion === 1 ? V1_FLAGS : flags };
}

/** The 4 bytes every frame starts with, for finding frames after a bad one. */
export const FRAME_MAGIC = new Uint8Array([0x57, 0x4c, 0x46, 0x52]);
