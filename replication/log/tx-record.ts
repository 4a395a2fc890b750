import { constants as bufferConstants } from 'node:buffer';
import { crc32 } from 'node:zlib';
import { LogCorruptionError } from './log-corruption-error.ts';
import { hex16 } from './position.ts';
import { applyChecksum, isPageSize, pageChecksum, zeroPageChecksum, type ChecksumChange } from './page-checksum.ts';

const MAX_U64 = (1n << 64n) - 1n;
const MAX_U32 = 0xffff_ffff;
const DB_ID = /^[0-9a-f]{32}$/;

/** Record layout, versions 1 and 2 (FORMAT.md, "Transaction record"). Big-endian throughout. */
const MAGIC = 0x574c5458; // 'WLTX'
/** Version 1 has no metadata section: offset 68 is reserved. Read, never written. */
const VERSION_1 = 1;
/** Version 2: offset 68 is `metaLength`, the metadata section sits between page index and page data. */
const VERSION = 2;
const HEADER_SIZE = 96;
/** Metadata section: u16 key length, key, u32 result length, result. */
const META_FIXED_SIZE = 6;
/** The longest idempotency key: 1..128 printable ASCII characters (the `Idempotency-Key` header's rule). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
/** The largest result a record carries: a bigger one is not kept (the retry is answered without it). */
export const MAX_RESULT_LENGTH = 64 * 1024;
const MAX_META_LENGTH = META_FIXED_SIZE + MAX_IDEMPOTENCY_KEY_LENGTH + MAX_RESULT_LENGTH;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,128}$/;
const INDEX_ENTRY_SIZE = 4;
const TRAILER_SIZE = 4;
const AT = {
  magic: 0,
  version: 4,
  flags: 6,
  length: 8,
  dbId: 16,
  txid: 32,
  epoch: 40,
  timestamp: 48,
  pageSize: 56,
  commitPageCount: 60,
  pageCount: 64,
  /** Version 2; the same bytes are `reserved` (0) in version 1. */
  metaLength: 68,
  reserved: 68,
  preChecksum: 72,
  postChecksum: 80,
  reserved2: 88,
  headerChecksum: 92,
} as const;

/**
 * One page a transaction wrote: its number (from 1) and its full contents.
 *
 * @example
 * const page: TxPage = { pgno: 1, data: fileBytes.subarray(0, 4096) };
 */
export interface TxPage {
  readonly pgno: number;
  readonly data: Uint8Array;
}

/**
 * One committed transaction as the primary's VFS saw it: the pages it wrote, the database size
 * after it, and the database checksum before and after it. Replaying the pages onto a database
 * at position `(txid - 1, preChecksum)` and truncating or extending it to `commitPageCount` pages
 * gives the database at `(txid, postChecksum)`.
 *
 * A plain value; `TxRecord.encode` and `TxRecord.decode` convert it to and from the bytes laid out
 * in FORMAT.md.
 *
 * @example
 * const record: TxRecord = {
 *   txid: 8n, epoch: 1n, dbId: '8c5e0f4b2d9a4e71b0c3d2e1f4a5b6c7', pageSize: 4096,
 *   commitPageCount: 3, pages: [{ pgno: 3, data }], preChecksum, postChecksum, timestamp: Date.now(),
 * };
 */
export interface TxRecord {
  /** The transaction's id: 1 for the first transaction of the database, then +1 each commit. */
  readonly txid: bigint;
  /** The leader epoch that wrote it, so that a deposed leader's records can be refused. */
  readonly epoch: bigint;
  /** The database's identity: 16 bytes as 32 lowercase hex digits. */
  readonly dbId: string;
  /** The page size in bytes: a power of two from 512 to 65536. */
  readonly pageSize: number;
  /** The database size in pages after the transaction. */
  readonly commitPageCount: number;
  /** The pages written, ascending by `pgno`, each once, each `pageSize` bytes, none beyond `commitPageCount`. */
  readonly pages: readonly TxPage[];
  /** The database checksum before the transaction. */
  readonly preChecksum: bigint;
  /** The database checksum after it. */
  readonly postChecksum: bigint;
  /** When the primary committed it, in milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /**
   * What the client that asked for the transaction sent and was answered, when the primary kept it
   * (record version 2): lets a retry of the same request on a new primary be answered "applied once"
   * with the original result. Absent in version 1 records and in records without metadata.
   */
  readonly meta?: TxMeta;
}

/**
 * The metadata a record may carry (FORMAT.md, "Metadata section"): the idempotency key of the
 * request that made the transaction and, optionally, the encoded answer the client was given.
 *
 * @example
 * const meta: TxMeta = { idempotencyKey: 'k-3f9a', result: Buffer.from(JSON.stringify(answer)) };
 */
export interface TxMeta {
  /** 1..128 printable ASCII characters (0x20..0x7e), as the `Idempotency-Key` header carried it. */
  readonly idempotencyKey: string;
  /** The answer as sent, at most {@link MAX_RESULT_LENGTH} bytes; absent when not kept. */
  readonly result?: Uint8Array;
}

/**
 * Everything in a record's fixed header: a {@link TxRecord} without its pages, plus the number of
 * pages and the record's length. Read with {@link TxRecord.readHeader}.
 *
 * @example
 * const { length, txid } = TxRecord.readHeader(first96Bytes);
 */
export interface TxRecordHeader extends Omit<TxRecord, 'pages' | 'meta'> {
  /** How many pages the record carries (not the database size: that is `commitPageCount`). */
  readonly pageCount: number;
  /** The record's total length in bytes, header to trailer. */
  readonly length: number;
  /** The record's layout version: 1 or 2. */
  readonly version: number;
  /** The length of the metadata section (0 in version 1 and when there is none). */
  readonly metaLength: number;
}

/**
 * What a database looked like before a transaction, for checking a record's `postChecksum`
 * against real pages: its size and the checksum of each of its pages. Only the pages the record
 * touches or truncates are asked for.
 *
 * @example
 * const before: PageChecksumSource = { pageCount: sums.length, pageChecksum: (pgno) => sums[pgno - 1]! };
 */
export interface PageChecksumSource {
  /** The database size in pages before the transaction. */
  readonly pageCount: number;
  /** The checksum of page `pgno` (1..pageCount) before the transaction. */
  pageChecksum(pgno: number): bigint;
}

/**
 * Options of {@link TxRecord.decode}.
 *
 * @example
 * TxRecord.decode(bytes, { before: replicaPageChecksums });
 */
export interface DecodeOptions {
  /**
   * The database the record is about to be applied to. When given, `decode` also checks that the
   * record's `postChecksum` is what its pages make of these pages and the record's `preChecksum`.
   */
  readonly before?: PageChecksumSource;
}

function encode(record: TxRecord): Uint8Array {
  checkRecord(record);
  const count = record.pages.length;
  const meta = record.meta === undefined ? undefined : encodeMeta(record.meta);
  const metaLength = meta?.length ?? 0;
  const length = recordLength(count, record.pageSize, metaLength);
  if (length > bufferConstants.MAX_LENGTH) {
    throw new RangeError(
      `Expected the record to fit in one buffer (${bufferConstants.MAX_LENGTH} bytes), it needs ${length}`,
    );
  }
  const bytes = Buffer.allocUnsafeSlow(length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  view.setUint32(AT.magic, MAGIC);
  view.setUint16(AT.version, VERSION);
  view.setUint16(AT.flags, 0);
  view.setBigUint64(AT.length, BigInt(length));
  bytes.write(record.dbId, AT.dbId, 16, 'hex');
  view.setBigUint64(AT.txid, record.txid);
  view.setBigUint64(AT.epoch, record.epoch);
  view.setBigInt64(AT.timestamp, BigInt(record.timestamp));
  view.setUint32(AT.pageSize, record.pageSize);
  view.setUint32(AT.commitPageCount, record.commitPageCount);
  view.setUint32(AT.pageCount, count);
  view.setUint32(AT.metaLength, metaLength);
  view.setBigUint64(AT.preChecksum, record.preChecksum);
  view.setBigUint64(AT.postChecksum, record.postChecksum);
  view.setUint32(AT.reserved2, 0);
  view.setUint32(AT.headerChecksum, crc32(bytes.subarray(0, AT.headerChecksum)));
  const metaStart = HEADER_SIZE + count * INDEX_ENTRY_SIZE;
  if (meta !== undefined) bytes.set(meta, metaStart);
  let data = metaStart + metaLength;
  for (let i = 0; i < count; i++) {
    const page = record.pages[i]!;
    view.setUint32(HEADER_SIZE + i * INDEX_ENTRY_SIZE, page.pgno);
    bytes.set(page.data, data);
    data += record.pageSize;
  }
  view.setUint32(length - TRAILER_SIZE, crc32(bytes.subarray(0, length - TRAILER_SIZE)));
  return bytes;
}

function readHeader(bytes: Uint8Array): TxRecordHeader {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('Expected the record to be a Uint8Array');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (bytes.length < 4 || view.getUint32(AT.magic) !== MAGIC) throw corrupt('bad magic', 'magic');
  if (bytes.length < AT.version + 2) throw corrupt('record ends inside its header', 'length', bytes.length);
  const version = view.getUint16(AT.version);
  if (version !== VERSION && version !== VERSION_1) throw corrupt(`unknown version ${version}`, 'version');
  if (bytes.length < HEADER_SIZE) throw corrupt('record ends inside its header', 'length', bytes.length);
  if (view.getUint32(AT.headerChecksum) !== crc32(bytes.subarray(0, AT.headerChecksum))) {
    throw corrupt('header checksum mismatch', 'headerChecksum');
  }
  const flags = view.getUint16(AT.flags);
  if (flags !== 0) throw corrupt(`unknown flags 0x${flags.toString(16)}`, 'flags');
  const metaLength = view.getUint32(AT.metaLength);
  if (version === VERSION_1 && metaLength !== 0) throw corrupt('reserved field is not zero', 'reserved');
  if (metaLength !== 0 && (metaLength < META_FIXED_SIZE + 1 || metaLength > MAX_META_LENGTH)) {
    throw corrupt(`metadata length ${metaLength} is not 0 or 7..${MAX_META_LENGTH}`, 'metaLength');
  }
  if (view.getUint32(AT.reserved2) !== 0) throw corrupt('reserved field is not zero', 'reserved2');
  const txid = view.getBigUint64(AT.txid);
  if (txid === 0n) throw corrupt('txid 0', 'txid');
  const timestamp = Number(view.getBigInt64(AT.timestamp));
  if (!Number.isSafeInteger(timestamp)) throw corrupt('timestamp out of range', 'timestamp');
  const pageSize = view.getUint32(AT.pageSize);
  if (!isPageSize(pageSize)) throw corrupt(`page size ${pageSize} is not a power of two in 512..65536`, 'pageSize');
  const commitPageCount = view.getUint32(AT.commitPageCount);
  if (commitPageCount === 0) throw corrupt('commit page count 0', 'commitPageCount');
  const pageCount = view.getUint32(AT.pageCount);
  if (pageCount > commitPageCount) {
    throw corrupt(`${pageCount} pages in a database of ${commitPageCount}`, 'pageCount');
  }
  const stated = view.getBigUint64(AT.length);
  const expected = recordLength(pageCount, pageSize, metaLength);
  if (stated !== BigInt(expected)) {
    throw corrupt(
      `length mismatch: header says ${stated}, ${pageCount} pages of ${pageSize} and ${metaLength} bytes of metadata make ${expected}`,
      'length',
    );
  }
  return {
    txid,
    epoch: view.getBigUint64(AT.epoch),
    dbId: Buffer.from(bytes.buffer, bytes.byteOffset + AT.dbId, 16).toString('hex'),
    pageSize,
    commitPageCount,
    pageCount,
    preChecksum: view.getBigUint64(AT.preChecksum),
    postChecksum: view.getBigUint64(AT.postChecksum),
    timestamp,
    length: expected,
    version,
    metaLength,
  };
}

function decode(bytes: Uint8Array, options: DecodeOptions = {}): TxRecord {
  const header = readHeader(bytes);
  if (bytes.length !== header.length) {
    throw corrupt(`length mismatch: header says ${header.length}, got ${bytes.length} bytes`, 'length');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const trailer = header.length - TRAILER_SIZE;
  if (view.getUint32(trailer) !== crc32(bytes.subarray(0, trailer)))
    throw corrupt('checksum mismatch', 'checksum', trailer);
  const pages: TxPage[] = new Array(header.pageCount);
  let previous = 0;
  const metaStart = HEADER_SIZE + header.pageCount * INDEX_ENTRY_SIZE;
  const meta = header.metaLength === 0 ? undefined : decodeMeta(bytes, metaStart, header.metaLength);
  let data = metaStart + header.metaLength;
  for (let i = 0; i < header.pageCount; i++) {
    const at = HEADER_SIZE + i * INDEX_ENTRY_SIZE;
    const pgno = view.getUint32(at);
    if (pgno === 0) throw corrupt('page number 0', 'pgno', at);
    if (pgno <= previous) throw corrupt(`page ${pgno} after page ${previous}: out of order or duplicated`, 'pgno', at);
    if (pgno > header.commitPageCount) {
      throw corrupt(`page ${pgno} beyond the commit page count ${header.commitPageCount}`, 'pgno', at);
    }
    pages[i] = { pgno, data: bytes.subarray(data, data + header.pageSize) };
    previous = pgno;
    data += header.pageSize;
  }
  const { length: _length, pageCount: _pageCount, version: _version, metaLength: _metaLength, ...fields } = header;
  const record: TxRecord = meta === undefined ? { ...fields, pages } : { ...fields, pages, meta };
  if (options.before !== undefined) verifyChecksums(record, options.before);
  return record;
}

function verifyChecksums(record: TxRecord, before: PageChecksumSource): void {
  if (!Number.isInteger(before.pageCount) || before.pageCount < 0 || before.pageCount > MAX_U32) {
    throw new TypeError('Expected the "pageCount" of the page checksums to be an integer between 0 and 4294967295');
  }
  const expected = applyChecksum(record.preChecksum, changes(record, before));
  if (expected !== record.postChecksum) {
    throw corrupt(
      `post checksum ${hex16(record.postChecksum)} does not follow from the pages (expected ${hex16(expected)})`,
      'postChecksum',
    );
  }
}

function* changes(record: TxRecord, before: PageChecksumSource): Generator<ChecksumChange> {
  const old = (pgno: number): bigint => (pgno <= before.pageCount ? before.pageChecksum(pgno) : 0n);
  for (const { pgno, data } of record.pages) yield { before: old(pgno), after: pageChecksum(pgno, data) };
  for (let pgno = record.commitPageCount + 1; pgno <= before.pageCount; pgno++) yield { before: old(pgno), after: 0n };
  // Growth the record does not carry reads as zeros, as it does from a file extended by truncate.
  let next = 0;
  for (let pgno = before.pageCount + 1; pgno <= record.commitPageCount; pgno++) {
    while (next < record.pages.length && record.pages[next]!.pgno < pgno) next++;
    if (next < record.pages.length && record.pages[next]!.pgno === pgno) continue;
    yield { before: 0n, after: zeroPageChecksum(pgno, record.pageSize) };
  }
}

function checkRecord(record: TxRecord): void {
  if (typeof record !== 'object' || record === null) throw new TypeError('Expected the record to be an object');
  checkU64(record.txid, 'txid', 1n);
  checkU64(record.epoch, 'epoch', 0n);
  checkU64(record.preChecksum, 'preChecksum', 0n);
  checkU64(record.postChecksum, 'postChecksum', 0n);
  if (typeof record.dbId !== 'string' || !DB_ID.test(record.dbId)) {
    throw new TypeError('Expected the record\'s "dbId" to be 32 lowercase hex digits');
  }
  if (!isPageSize(record.pageSize)) {
    throw new TypeError('Expected the record\'s "pageSize" to be a power of two between 512 and 65536');
  }
  if (!Number.isInteger(record.commitPageCount) || record.commitPageCount < 1 || record.commitPageCount > MAX_U32) {
    throw new TypeError('Expected the record\'s "commitPageCount" to be an integer between 1 and 4294967295');
  }
  if (!Number.isSafeInteger(record.timestamp))
    throw new TypeError('Expected the record\'s "timestamp" to be an integer');
  if (!Array.isArray(record.pages)) throw new TypeError('Expected the record\'s "pages" to be an array');
  let previous = 0;
  for (const page of record.pages) {
    const pgno = page?.pgno;
    if (!Number.isInteger(pgno) || pgno <= previous || pgno > record.commitPageCount) {
      throw new TypeError(
        `Expected the record's "pages" to have ascending, unique page numbers from 1 to the commit page count ${record.commitPageCount}, got ${String(pgno)} after ${previous}`,
      );
    }
    if (!(page.data instanceof Uint8Array) || page.data.length !== record.pageSize) {
      throw new TypeError(`Expected the data of page ${pgno} to be a Uint8Array of ${record.pageSize} bytes`);
    }
    previous = pgno;
  }
  if (record.meta !== undefined) checkMeta(record.meta);
}

function checkMeta(meta: TxMeta): void {
  if (typeof meta !== 'object' || meta === null) throw new TypeError('Expected the record\'s "meta" to be an object');
  if (typeof meta.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(meta.idempotencyKey)) {
    throw new TypeError(
      `Expected the record's "meta.idempotencyKey" to be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`,
    );
  }
  if (meta.result !== undefined && (!(meta.result instanceof Uint8Array) || meta.result.length > MAX_RESULT_LENGTH)) {
    throw new TypeError(`Expected the record's "meta.result" to be a Uint8Array of at most ${MAX_RESULT_LENGTH} bytes`);
  }
}

/** The metadata section's bytes (FORMAT.md, "Metadata section"). */
function encodeMeta(meta: TxMeta): Uint8Array {
  const key = Buffer.from(meta.idempotencyKey, 'latin1');
  const result = meta.result ?? new Uint8Array(0);
  const bytes = Buffer.alloc(META_FIXED_SIZE + key.length + result.length);
  bytes.writeUInt16BE(key.length, 0);
  key.copy(bytes, 2);
  bytes.writeUInt32BE(result.length, 2 + key.length);
  bytes.set(result, META_FIXED_SIZE + key.length);
  return bytes;
}

/** The metadata section at `start` (`length` bytes, the record's CRC already checked). */
function decodeMeta(bytes: Uint8Array, start: number, length: number): TxMeta {
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, length);
  const keyLength = view.getUint16(0);
  if (keyLength < 1 || keyLength > MAX_IDEMPOTENCY_KEY_LENGTH || 2 + keyLength + 4 > length) {
    throw corrupt(`idempotency key length ${keyLength} is not 1..${MAX_IDEMPOTENCY_KEY_LENGTH}`, 'meta', start);
  }
  const idempotencyKey = Buffer.from(bytes.buffer, bytes.byteOffset + start + 2, keyLength).toString('latin1');
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw corrupt('idempotency key is not printable ASCII', 'meta', start + 2);
  const resultLength = view.getUint32(2 + keyLength);
  if (resultLength > MAX_RESULT_LENGTH || META_FIXED_SIZE + keyLength + resultLength !== length) {
    throw corrupt(
      `metadata of ${length} bytes does not hold a key of ${keyLength} and a result of ${resultLength}`,
      'meta',
      start + 2 + keyLength,
    );
  }
  if (resultLength === 0) return { idempotencyKey };
  const from = start + META_FIXED_SIZE + keyLength;
  return { idempotencyKey, result: bytes.subarray(from, from + resultLength) };
}

function checkU64(value: bigint, name: string, min: bigint): void {
  if (typeof value !== 'bigint' || value < min || value > MAX_U64) {
    throw new TypeError(`Expected the record's "${name}" to be a bigint between ${min} and 2^64-1`);
  }
}

/** FORMAT.md: `100 + 4N + metaLength + N × pageSize`. */
function recordLength(pageCount: number, pageSize: number, metaLength: number): number {
  return HEADER_SIZE + pageCount * (INDEX_ENTRY_SIZE + pageSize) + metaLength + TRAILER_SIZE;
}

function corrupt(
  reason: string,
  field: keyof typeof AT | 'pgno' | 'checksum' | 'meta',
  offset?: number,
): LogCorruptionError {
  return new LogCorruptionError(reason, { field, offset: offset ?? (field in AT ? AT[field as keyof typeof AT] : 0) });
}

/**
 * Encoding, decoding and checking of {@link TxRecord}s (layout in FORMAT.md).
 *
 * @example
 * const bytes = TxRecord.encode(record);
 * const again = TxRecord.decode(bytes); // deep-equal to record
 */
export const TxRecord = {
  /** Size of the fixed header: the bytes {@link TxRecord.readHeader} needs. */
  HEADER_SIZE,

  /**
   * The record's bytes, laid out as FORMAT.md says, ending with a CRC-32 of everything before it.
   * Throws a `TypeError` if the record breaks a rule of {@link TxRecord} (a txid of 0, a page
   * size that is not a power of two, pages out of order or of the wrong size, …).
   *
   * @example
   * socket.write(TxRecord.encode(record));
   */
  encode,

  /**
   * The record in `bytes`, checked completely: magic, version, header checksum, lengths, the
   * checksum of the whole record (any flipped bit is caught), page numbers ascending, unique and
   * within the commit page count. With `options.before`, also checks `postChecksum` against
   * those pages (see {@link TxRecord.verifyChecksums}). Throws {@link LogCorruptionError} naming
   * the field and offset at fault. Page data are views into `bytes`, not copies.
   *
   * @example
   * const record = TxRecord.decode(bytes, { before: { pageCount, pageChecksum: (pgno) => sums[pgno] } });
   */
  decode,

  /**
   * The fixed header at the start of `bytes` (at least {@link TxRecord.HEADER_SIZE} bytes),
   * checked on its own: magic, version, header checksum, and that the stated length matches the
   * page count and size. Lets a reader learn how many bytes the record has before reading them.
   * Throws {@link LogCorruptionError}.
   *
   * @example
   * const { length } = TxRecord.readHeader(first96Bytes);
   */
  readHeader,

  /**
   * Checks that `record.postChecksum` is what applying its pages to the database described by
   * `before` makes of `record.preChecksum`: each written page swaps its old checksum for its new,
   * pages beyond a smaller `commitPageCount` drop out, and pages of a larger one that the record
   * does not carry count as zero-filled. Throws {@link LogCorruptionError} (field `postChecksum`).
   * It does not check `preChecksum` against `before`: compare positions for that.
   *
   * @example
   * TxRecord.verifyChecksums(record, { pageCount: 3, pageChecksum: (pgno) => sums[pgno]! });
   */
  verifyChecksums,

  /**
   * Checks a {@link TxMeta} before it is used: a `TypeError` unless the key is 1..128 printable
   * ASCII characters and the result (if any) a Uint8Array of at most {@link MAX_RESULT_LENGTH}
   * bytes. `encode` runs the same check.
   *
   * @example
   * TxRecord.checkMeta({ idempotencyKey: request.headers['idempotency-key'] });
   */
  checkMeta,
} as const;
