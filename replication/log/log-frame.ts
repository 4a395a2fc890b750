import { crc32 } from 'node:zlib';

/** Frame layout, version 1 (FORMAT.md, "Log frame"). Big-endian. */
const MAGIC = 0x574c4652; // 'WLFR'
export const FRAME_HEADER_SIZE = 28;
const AT = { magic: 0, flags: 4, txid: 8, length: 16, checksum: 24 } as const;

/** What a valid frame header says. */
export interface FrameHeader {
  readonly txid: bigint;
  /** Length of the record that follows the frame header. */
  readonly length: number;
}

/**
 * The header that precedes every record in a segment file: magic, flags, the record's txid and
 * length, and a CRC-32 of those 24 bytes.
 */
export function encodeFrameHeader(txid: bigint, length: number): Uint8Array {
  const bytes = new Uint8Array(FRAME_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(AT.magic, MAGIC);
  view.setUint32(AT.flags, 0);
  view.setBigUint64(AT.txid, txid);
  view.setBigUint64(AT.length, BigInt(length));
  view.setUint32(AT.checksum, crc32(bytes.subarray(0, AT.checksum)));
  return bytes;
}

/**
 * The frame header at the start of `bytes`, or why it is not one (a string naming the field):
 * a frame header is either entirely right or not a frame header, which is how a torn tail is
 * told from a complete frame.
 */
export function parseFrameHeader(bytes: Uint8Array): FrameHeader | { readonly invalid: string } {
  if (bytes.length < FRAME_HEADER_SIZE) return { invalid: 'length' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_SIZE);
  if (view.getUint32(AT.magic) !== MAGIC) return { invalid: 'magic' };
  if (view.getUint32(AT.checksum) !== crc32(bytes.subarray(0, AT.checksum))) return { invalid: 'checksum' };
  if (view.getUint32(AT.flags) !== 0) return { invalid: 'flags' };
  const length = view.getBigUint64(AT.length);
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) return { invalid: 'length' };
  return { txid: view.getBigUint64(AT.txid), length: Number(length) };
}

/** The 4 bytes every frame starts with, for finding frames after a bad one. */
export const FRAME_MAGIC = new Uint8Array([0x57, 0x4c, 0x46, 0x52]);
