import { PositionMismatchError } from './position-mismatch-error.ts';

const MAX_U64 = (1n << 64n) - 1n;
const TEXT = /^([0-9a-fA-F]{16})\/([0-9a-fA-F]{16})$/;
const BOOKMARK = /^([0-9a-fA-F]{16})-([0-9a-fA-F]{16})$/;

/**
 * Anything with a txid and a checksum: a {@link Position}, or a plain object of the same shape.
 *
 * @example
 * position.equals({ txid: record.txid, checksum: record.postChecksum });
 */
export interface PositionLike {
  readonly txid: bigint;
  readonly checksum: bigint;
}

/**
 * Where a database is in its history: the txid of the last transaction applied (monotonic from 1;
 * 0 is the empty database) and the rolling checksum of the whole database after it (see
 * `databaseChecksum`). Two databases with equal positions hold equal bytes; two positions with the
 * same txid and different checksums are divergent histories.
 *
 * An immutable value. Its text form is fixed-width hex, `txid/checksum`; its bookmark form
 * replaces the slash with a dash, so it can travel in a URL path, a header or a cookie.
 * The constructor throws a `TypeError` for a txid or checksum that is not a bigint in 0..2^64-1.
 *
 * @example
 * const pos = new Position(7n, 0xab12cd34ef560789n);
 * String(pos);                                   // '0000000000000007/ab12cd34ef560789'
 * Position.parse('0000000000000007/ab12cd34ef560789').equals(pos); // true
 * pos.toBookmark();                              // '0000000000000007-ab12cd34ef560789'
 */
export class Position implements PositionLike {
  /** The empty database: txid 0, checksum 0. */
  static readonly ZERO: Position = new Position(0n, 0n);

  readonly txid: bigint;
  readonly checksum: bigint;

  constructor(txid: bigint, checksum: bigint) {
    if (typeof txid !== 'bigint' || txid < 0n || txid > MAX_U64) {
      throw new TypeError('Expected the "txid" to be a bigint between 0 and 2^64-1');
    }
    if (typeof checksum !== 'bigint' || checksum < 0n || checksum > MAX_U64) {
      throw new TypeError('Expected the "checksum" to be a bigint between 0 and 2^64-1');
    }
    this.txid = txid;
    this.checksum = checksum;
    Object.freeze(this);
  }

  /**
   * The position of a `{ txid, checksum }` object (returned as is if it already is a Position).
   *
   * @example
   * Position.from({ txid: record.txid, checksum: record.postChecksum });
   */
  static from(value: PositionLike): Position {
    return value instanceof Position ? value : new Position(value.txid, value.checksum);
  }

  /**
   * Reads the text form `txid/checksum` (16 hex digits each, either case). Throws a `TypeError`
   * for anything else.
   *
   * @example
   * Position.parse('0000000000000007/ab12cd34ef560789').txid; // 7n
   */
  static parse(text: string): Position {
    const match = typeof text === 'string' ? TEXT.exec(text) : null;
    if (match === null) {
      throw new TypeError(`Expected a position like "0000000000000007/ab12cd34ef560789", got ${describe(text)}`);
    }
    return new Position(BigInt(`0x${match[1]}`), BigInt(`0x${match[2]}`));
  }

  /**
   * Reads a bookmark made by {@link Position.toBookmark}. Throws a `TypeError` for anything else.
   *
   * @example
   * Position.fromBookmark(request.headers['x-wasmlite-bookmark']);
   */
  static fromBookmark(bookmark: string): Position {
    const match = typeof bookmark === 'string' ? BOOKMARK.exec(bookmark) : null;
    if (match === null) {
      throw new TypeError(`Expected a bookmark like "0000000000000007-ab12cd34ef560789", got ${describe(bookmark)}`);
    }
    return new Position(BigInt(`0x${match[1]}`), BigInt(`0x${match[2]}`));
  }

  /**
   * Reads the 16-byte binary form made by {@link Position.encode}. Throws a `TypeError` if
   * `bytes` is not 16 bytes long.
   *
   * @example
   * Position.decode(fs.readFileSync('replica.pos'));
   */
  static decode(bytes: Uint8Array): Position {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 16) {
      throw new TypeError('Expected the encoded position to be a Uint8Array of 16 bytes');
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
    return new Position(view.getBigUint64(0), view.getBigUint64(8));
  }

  /**
   * 16 bytes: the txid then the checksum, each an unsigned 64-bit big-endian integer.
   *
   * @example
   * fs.writeFileSync('replica.pos', pos.encode());
   */
  encode(): Uint8Array {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, this.txid);
    view.setBigUint64(8, this.checksum);
    return bytes;
  }

  /**
   * Whether `other` has the same txid and checksum.
   *
   * @example
   * replica.position.equals(primary.position); // true once caught up
   */
  equals(other: PositionLike): boolean {
    return this.txid === other.txid && this.checksum === other.checksum;
  }

  /**
   * Orders two positions of one history by txid: negative if this one is older, 0 if equal,
   * positive if newer. Positions with the same txid and different checksums belong to different
   * histories and cannot be ordered: that throws {@link PositionMismatchError}.
   *
   * @example
   * if (replica.position.compare(bookmark) >= 0) serveLocally();
   */
  compare(other: PositionLike): number {
    if (this.txid !== other.txid) return this.txid < other.txid ? -1 : 1;
    if (this.checksum !== other.checksum) throw new PositionMismatchError(this, Position.from(other));
    return 0;
  }

  /**
   * The text form, `txid/checksum` in fixed-width lowercase hex.
   *
   * @example
   * `${new Position(7n, 0xab12cd34ef560789n)}`; // '0000000000000007/ab12cd34ef560789'
   */
  toString(): string {
    return `${hex16(this.txid)}/${hex16(this.checksum)}`;
  }

  /**
   * The bookmark form, `txid-checksum` in fixed-width lowercase hex: safe in URLs, headers,
   * cookies and file names. Read back with {@link Position.fromBookmark}.
   *
   * @example
   * res.setHeader('x-wasmlite-bookmark', pos.toBookmark());
   */
  toBookmark(): string {
    return `${hex16(this.txid)}-${hex16(this.checksum)}`;
  }

  /** The text form, so positions survive `JSON.stringify` (bigints do not). */
  toJSON(): string {
    return this.toString();
  }
}

/** `value` as 16 lowercase hex digits. */
export function hex16(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
