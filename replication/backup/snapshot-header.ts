import { crc32 } from 'node:zlib';
import { Position } from '../log/index.ts';
import { isPageSize } from '../log/page-checksum.ts';
import { ArchiveError } from './archive-error.ts';
import type { SnapshotName } from './archive-names.ts';

/** Snapshot object header layout, version 1 (FORMAT.md, "Snapshot object"). Big-endian. */
const MAGIC = 0x574c534e; // 'WLSN'
/** The version this wasmlite writes and reads. */
export const SNAPSHOT_VERSION = 1;
/** The header's size: the database's pages follow it. */
export const SNAPSHOT_HEADER_SIZE = 64;
const AT = {
  magic: 0,
  version: 4,
  flags: 6,
  dbId: 8,
  txid: 24,
  checksum: 32,
  asOf: 40,
  pageSize: 48,
  pageCount: 52,
  reserved: 56,
  headerChecksum: 60,
} as const;

/**
 * What a snapshot object's header says: the database `dbId` at `position`, as it was at `asOf`
 * (ms), `pageCount` pages of `pageSize` bytes following the header.
 *
 * @example
 * const header: SnapshotHeader = { dbId, position, asOf: Date.now(), pageSize: 4096, pageCount: 12 };
 */
export interface SnapshotHeader {
  readonly dbId: string;
  readonly position: Position;
  readonly asOf: number;
  readonly pageSize: number;
  readonly pageCount: number;
}

/**
 * The 64 header bytes of a snapshot object.
 *
 * @example
 * await target.put(name, { length: 64 + bytes, chunks: prepend(encodeSnapshotHeader(header), body) });
 */
export function encodeSnapshotHeader(header: SnapshotHeader): Uint8Array {
  const out = Buffer.alloc(SNAPSHOT_HEADER_SIZE);
  const view = new DataView(out.buffer, out.byteOffset, SNAPSHOT_HEADER_SIZE);
  view.setUint32(AT.magic, MAGIC);
  view.setUint16(AT.version, SNAPSHOT_VERSION);
  out.write(header.dbId, AT.dbId, 16, 'hex');
  view.setBigUint64(AT.txid, header.position.txid);
  view.setBigUint64(AT.checksum, header.position.checksum);
  view.setBigInt64(AT.asOf, BigInt(header.asOf));
  view.setUint32(AT.pageSize, header.pageSize);
  view.setUint32(AT.pageCount, header.pageCount);
  view.setUint32(AT.headerChecksum, crc32(out.subarray(0, AT.headerChecksum)));
  return out;
}

/**
 * The header at the start of the snapshot object `object`, checked against its `name` and its
 * generation's `dbId`. Throws {@link ArchiveError} `ARCHIVE_VERSION` for another version,
 * `ARCHIVE_DAMAGED` naming the object otherwise. (The pages are checked by their database
 * checksum, which must be the position's, once they are written out.)
 *
 * @example
 * const header = parseSnapshotHeader(first64Bytes, object, parsed.snapshot, dbId);
 */
export function parseSnapshotHeader(
  bytes: Uint8Array,
  object: string,
  name: SnapshotName,
  dbId: string,
): SnapshotHeader {
  const damaged = (reason: string): ArchiveError =>
    new ArchiveError('ARCHIVE_DAMAGED', `archive object ${object} is damaged: ${reason}`, object);
  if (bytes.length < SNAPSHOT_HEADER_SIZE) throw damaged('it ends inside its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, SNAPSHOT_HEADER_SIZE);
  if (view.getUint32(AT.magic) !== MAGIC) throw damaged('it does not start with WLSN');
  const version = view.getUint16(AT.version);
  if (version !== SNAPSHOT_VERSION) {
    throw new ArchiveError(
      'ARCHIVE_VERSION',
      `archive object ${object} is a version ${version} snapshot; this wasmlite reads version ${SNAPSHOT_VERSION}`,
      object,
    );
  }
  if (view.getUint32(AT.headerChecksum) !== crc32(bytes.subarray(0, AT.headerChecksum)))
    throw damaged('header checksum mismatch');
  if (view.getUint16(AT.flags) !== 0 || view.getUint32(AT.reserved) !== 0) throw damaged('unknown flags');
  const header: SnapshotHeader = {
    dbId: Buffer.from(bytes.buffer, bytes.byteOffset + AT.dbId, 16).toString('hex'),
    position: new Position(view.getBigUint64(AT.txid), view.getBigUint64(AT.checksum)),
    asOf: Number(view.getBigInt64(AT.asOf)),
    pageSize: view.getUint32(AT.pageSize),
    pageCount: view.getUint32(AT.pageCount),
  };
  if (header.dbId !== dbId) throw damaged(`it is of database ${header.dbId}, its generation of ${dbId}`);
  if (!header.position.equals(name.position) || header.asOf !== name.asOf)
    throw damaged(`its header says ${header.position}, its name ${name.position}`);
  if (!isPageSize(header.pageSize)) throw damaged(`page size ${header.pageSize} is not a SQLite page size`);
  return header;
}
