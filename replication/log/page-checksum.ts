import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';

const MASK64 = (1n << 64n) - 1n;
/** 2^64 / golden ratio: spreads consecutive page numbers over the whole 64-bit range. */
const PGNO_STEP = 0x9e3779b97f4a7c15n;
const MAX_PGNO = 0xffff_ffff;
const SQLITE_MAGIC = 'SQLite format 3\0';

// One page at a time is ever being checksummed (the engine is single-threaded), so one buffer does.
const swapped = Buffer.allocUnsafeSlow(65536);
const zeroCrcs = new Map<number, readonly [number, number]>();

/**
 * The change of one page in a transaction, as page checksums (0n for a page that does not exist).
 *
 * @example
 * const grown: ChecksumChange = { before: 0n, after: pageChecksum(9, data) };
 */
export interface ChecksumChange {
  /** The page's checksum before the transaction; 0n if the page was beyond the end. */
  readonly before: bigint;
  /** The page's checksum after it; 0n if the transaction truncated the page away. */
  readonly after: bigint;
}

/**
 * The 64-bit checksum of page `pgno` holding `data` (FORMAT.md, "Page checksum"). It depends on
 * every byte and on the page number, so the same bytes at another page number, or two pages'
 * contents swapped, give a different database checksum.
 *
 * Throws a `TypeError` if `pgno` is not an integer in 1..2^32-1 or `data` is not a page (a
 * power-of-two length between 512 and 65536).
 *
 * @example
 * const sum = pageChecksum(1, fileBytes.subarray(0, 4096));
 */
export function pageChecksum(pgno: number, data: Uint8Array): bigint {
  checkPgno(pgno);
  if (!(data instanceof Uint8Array) || !isPageSize(data.length)) {
    throw new TypeError(
      'Expected the page data to be a Uint8Array whose length is a power of two between 512 and 65536',
    );
  }
  const scratch = swapped.subarray(0, data.length);
  scratch.set(data);
  scratch.swap64();
  return mix(pgno, crc32(data), crc32(scratch));
}

/**
 * The checksum of page `pgno` filled with zeros: what a page reads as when a transaction grows the
 * database past it without writing it. Throws like {@link pageChecksum}.
 *
 * @example
 * zeroPageChecksum(9, 4096) === pageChecksum(9, new Uint8Array(4096)); // true
 */
export function zeroPageChecksum(pgno: number, pageSize: number): bigint {
  checkPgno(pgno);
  if (!isPageSize(pageSize)) throw new TypeError('Expected the "pageSize" to be a power of two between 512 and 65536');
  let crcs = zeroCrcs.get(pageSize);
  if (crcs === undefined) {
    const zeros = new Uint8Array(pageSize);
    // All zeros is its own 8-byte swap: both CRCs are of the same bytes.
    crcs = [crc32(zeros), crc32(zeros)];
    zeroCrcs.set(pageSize, crcs);
  }
  return mix(pgno, crcs[0], crcs[1]);
}

/**
 * The database checksum after a transaction, from the one before and the page checksums that
 * changed: `pre XOR before XOR after` for each change, O(changed pages). A page that did not
 * exist before has `before: 0n`; a page truncated away by a smaller `commitPageCount` has
 * `after: 0n`. Listing a page twice cancels it, so list each page once.
 *
 * @example
 * const post = applyChecksum(pre, record.pages.map(({ pgno, data }) => ({
 *   before: pgno <= oldPageCount ? checksums[pgno] : 0n,
 *   after: pageChecksum(pgno, data),
 * })));
 */
export function applyChecksum(pre: bigint, changes: Iterable<ChecksumChange>): bigint {
  let sum = pre;
  for (const change of changes) sum ^= change.before ^ change.after;
  return sum;
}

/**
 * Options of {@link databaseChecksum}.
 *
 * @example
 * databaseChecksum(bytes, { pageSize: 4096 });
 */
export interface DatabaseChecksumOptions {
  /** The page size; read from the SQLite header (offset 16) when omitted. */
  readonly pageSize?: number;
}

/**
 * The checksum of a whole database: the XOR of the page checksums of pages 1..n, where n is the
 * size divided by the page size; 0n for an empty file. `source` is a file path (read page by page)
 * or the bytes of the file. This is the `checksum` of the database's {@link Position}. For a WAL
 * database, checkpoint first: the file alone is not the database while the WAL holds pages.
 *
 * Throws a `TypeError` if the page size is neither given nor in a SQLite header, a `RangeError`
 * if the size is not a whole number of pages, and Node's error if the file cannot be read.
 *
 * @example
 * const pos = new Position(txid, databaseChecksum('/srv/app.db'));
 */
export function databaseChecksum(source: string | Uint8Array, options: DatabaseChecksumOptions = {}): bigint {
  if (options.pageSize !== undefined && !isPageSize(options.pageSize)) {
    throw new TypeError('Expected the "pageSize" option to be a power of two between 512 and 65536');
  }
  if (typeof source === 'string') return fileChecksum(source, options.pageSize);
  if (!(source instanceof Uint8Array)) throw new TypeError('Expected the database to be a file path or a Uint8Array');
  if (source.length === 0) return 0n;
  const pageSize = options.pageSize ?? headerPageSize(source);
  checkWholePages(source.length, pageSize);
  let sum = 0n;
  for (let offset = 0, pgno = 1; offset < source.length; offset += pageSize, pgno++) {
    sum ^= pageChecksum(pgno, source.subarray(offset, offset + pageSize));
  }
  return sum;
}

function fileChecksum(path: string, givenPageSize: number | undefined): bigint {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return 0n;
    let pageSize = givenPageSize;
    if (pageSize === undefined) {
      const header = new Uint8Array(Math.min(100, size));
      readFully(fd, header, 0);
      pageSize = headerPageSize(header);
    }
    checkWholePages(size, pageSize);
    const pagesPerRead = Math.max(1, Math.floor((1 << 20) / pageSize));
    const buffer = new Uint8Array(pagesPerRead * pageSize);
    let sum = 0n;
    let pgno = 1;
    for (let offset = 0; offset < size; offset += buffer.length) {
      const chunk = buffer.subarray(0, Math.min(buffer.length, size - offset));
      readFully(fd, chunk, offset);
      for (let at = 0; at < chunk.length; at += pageSize)
        sum ^= pageChecksum(pgno++, chunk.subarray(at, at + pageSize));
    }
    return sum;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads exactly `buffer.length` bytes at `position`; a file that shrank meanwhile is an error. */
function readFully(fd: number, buffer: Uint8Array, position: number): void {
  let done = 0;
  while (done < buffer.length) {
    const n = fs.readSync(fd, buffer, done, buffer.length - done, position + done);
    if (n === 0)
      throw new RangeError(`Expected ${buffer.length} bytes at offset ${position}, the file ended after ${done}`);
    done += n;
  }
}

function headerPageSize(bytes: Uint8Array): number {
  if (bytes.length < 100 || Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw new TypeError('Expected the "pageSize" option, or a database that starts with a SQLite header');
  }
  const raw = (bytes[16]! << 8) | bytes[17]!;
  const pageSize = raw === 1 ? 65536 : raw;
  if (!isPageSize(pageSize)) throw new TypeError(`Expected the SQLite header to hold a valid page size, got ${raw}`);
  return pageSize;
}

function checkWholePages(size: number, pageSize: number): void {
  if (size % pageSize !== 0)
    throw new RangeError(`Expected the database size (${size}) to be a multiple of the page size (${pageSize})`);
  if (size / pageSize > MAX_PGNO) throw new RangeError(`Expected at most ${MAX_PGNO} pages`);
}

function checkPgno(pgno: number): void {
  if (!Number.isInteger(pgno) || pgno < 1 || pgno > MAX_PGNO) {
    throw new TypeError('Expected the page number to be an integer between 1 and 4294967295');
  }
}

/** Whether `n` is a power of two between 512 and 65536, the page sizes SQLite allows. */
export function isPageSize(n: number): boolean {
  return Number.isInteger(n) && n >= 512 && n <= 65536 && (n & (n - 1)) === 0;
}

/**
 * Combines the two CRCs and the page number through an invertible, non-linear mix. CRCs are linear:
 * XORed over pages, a plain CRC of (pgno, data) would not change when two pages swap contents.
 */
function mix(pgno: number, crcA: number, crcB: number): bigint {
  let k = ((BigInt(crcA) << 32n) | BigInt(crcB)) + BigInt(pgno) * PGNO_STEP;
  k &= MASK64;
  k ^= k >> 33n;
  k = (k * 0xff51afd7ed558ccdn) & MASK64;
  k ^= k >> 33n;
  k = (k * 0xc4ceb9fe1a85ec53n) & MASK64;
  k ^= k >> 33n;
  return k;
}
