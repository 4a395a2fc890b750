import { crc32 } from 'node:zlib';
import { LogCorruptionError, TxRecord } from '../log/index.ts';
import { ArchiveError } from './archive-error.ts';
import type { BatchName } from './archive-names.ts';

/** Record batch layout, version 1 (FORMAT.md, "Record batch"). Big-endian. */
const MAGIC = 0x574c4142; // 'WLAB'
/** The version this wasmlite writes and reads. */
export const BATCH_VERSION = 1;
/** The header's size: the first record's length follows it. */
export const RECORD_BATCH_HEADER_SIZE = 64;
const HEADER_SIZE = RECORD_BATCH_HEADER_SIZE;
const AT = {
  magic: 0,
  version: 4,
  flags: 6,
  dbId: 8,
  firstTxid: 24,
  lastTxid: 32,
  preChecksum: 40,
  postChecksum: 48,
  count: 56,
  headerChecksum: 60,
} as const;

/**
 * The bytes of a record batch object: a 64-byte header, each record as `u32 length` + its bytes
 * (exactly as `/v1/log` frames it), and a CRC-32 of everything before it. `records` are the
 * encoded records, consecutive and chained (each one's `preChecksum` the previous `postChecksum`).
 *
 * @example
 * await target.put(batchName(generation, name), encodeRecordBatch(frames));
 */
export function encodeRecordBatch(records: readonly { bytes: Uint8Array; record: TxRecord }[]): Uint8Array {
  const first = records[0]!.record;
  const last = records.at(-1)!.record;
  const size = HEADER_SIZE + records.reduce((n, r) => n + 4 + r.bytes.length, 0) + 4;
  const out = Buffer.allocUnsafe(size);
  const view = new DataView(out.buffer, out.byteOffset, size);
  view.setUint32(AT.magic, MAGIC);
  view.setUint16(AT.version, BATCH_VERSION);
  view.setUint16(AT.flags, 0);
  out.write(first.dbId, AT.dbId, 16, 'hex');
  view.setBigUint64(AT.firstTxid, first.txid);
  view.setBigUint64(AT.lastTxid, last.txid);
  view.setBigUint64(AT.preChecksum, first.preChecksum);
  view.setBigUint64(AT.postChecksum, last.postChecksum);
  view.setUint32(AT.count, records.length);
  view.setUint32(AT.headerChecksum, crc32(out.subarray(0, AT.headerChecksum)));
  let at = HEADER_SIZE;
  for (const { bytes } of records) {
    view.setUint32(at, bytes.length);
    out.set(bytes, at + 4);
    at += 4 + bytes.length;
  }
  view.setUint32(at, crc32(out.subarray(0, at)));
  return out;
}

/**
 * The records of the record batch object `object` (its name in the archive), all checked: the
 * header and the trailing CRC, every record in full (`TxRecord.decode`), that they are
 * consecutive, chained, of one database, and that they are what the header and `name` say.
 * Throws {@link ArchiveError} `ARCHIVE_VERSION` for a version other than
 * {@link BATCH_VERSION}, `ARCHIVE_DAMAGED` (naming the object and what is wrong) for anything else.
 *
 * @example
 * const records = decodeRecordBatch(bytes, name, parsed.batch, generation.dbId);
 */
export function decodeRecordBatch(bytes: Uint8Array, object: string, name: BatchName, dbId: string): TxRecord[] {
  const damaged = (reason: string, cause?: unknown): ArchiveError =>
    new ArchiveError('ARCHIVE_DAMAGED', `archive object ${object} is damaged: ${reason}`, object, cause);
  if (bytes.length < HEADER_SIZE + 4) throw damaged(`${bytes.length} bytes is shorter than a record batch`);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(AT.magic) !== MAGIC) throw damaged('it does not start with WLAB');
  const version = view.getUint16(AT.version);
  if (version !== BATCH_VERSION) {
    throw new ArchiveError(
      'ARCHIVE_VERSION',
      `archive object ${object} is a version ${version} record batch; this wasmlite reads version ${BATCH_VERSION} (${
        version > BATCH_VERSION ? 'restore with a newer wasmlite' : 'an archive older than any wasmlite release'
      })`,
      object,
    );
  }
  if (view.getUint32(AT.headerChecksum) !== crc32(buffer.subarray(0, AT.headerChecksum)))
    throw damaged('header checksum mismatch');
  if (view.getUint32(bytes.length - 4) !== crc32(buffer.subarray(0, bytes.length - 4)))
    throw damaged('checksum mismatch');
  if (view.getUint16(AT.flags) !== 0) throw damaged('unknown flags');
  const header = {
    dbId: buffer.toString('hex', AT.dbId, AT.dbId + 16),
    firstTxid: view.getBigUint64(AT.firstTxid),
    lastTxid: view.getBigUint64(AT.lastTxid),
    preChecksum: view.getBigUint64(AT.preChecksum),
    postChecksum: view.getBigUint64(AT.postChecksum),
    count: view.getUint32(AT.count),
  };
  if (header.dbId !== dbId) throw damaged(`it is of database ${header.dbId}, its generation of ${dbId}`);
  if (header.firstTxid !== name.firstTxid || header.lastTxid !== name.lastTxid)
    throw damaged(
      `it holds txids ${header.firstTxid}..${header.lastTxid}, its name says ${name.firstTxid}..${name.lastTxid}`,
    );
  if (BigInt(header.count) !== header.lastTxid - header.firstTxid + 1n) throw damaged('its record count is wrong');
  const records: TxRecord[] = [];
  let at = HEADER_SIZE;
  for (let i = 0; i < header.count; i++) {
    if (at + 4 > bytes.length - 4) throw damaged(`it ends before record ${i + 1} of ${header.count}`);
    const length = view.getUint32(at);
    if (at + 4 + length > bytes.length - 4) throw damaged(`record ${i + 1} of ${header.count} runs past its end`);
    let record: TxRecord;
    try {
      record = TxRecord.decode(bytes.subarray(at + 4, at + 4 + length));
    } catch (error) {
      if (error instanceof LogCorruptionError && error.field === 'version') {
        throw new ArchiveError(
          'ARCHIVE_VERSION',
          `archive object ${object} holds a transaction record of a version this wasmlite does not read (${error.message})`,
          object,
          error,
        );
      }
      throw damaged((error as Error).message, error);
    }
    const previous = records.at(-1);
    const txid = header.firstTxid + BigInt(i);
    if (record.txid !== txid) throw damaged(`record ${i + 1} is txid ${record.txid}, not ${txid}`);
    if (record.dbId !== dbId) throw damaged(`txid ${record.txid} is of database ${record.dbId}`);
    if (previous !== undefined && record.preChecksum !== previous.postChecksum)
      throw damaged(`txid ${record.txid} does not continue txid ${previous.txid}`);
    records.push(record);
    at += 4 + length;
  }
  if (at !== bytes.length - 4) throw damaged('bytes follow its last record');
  if (records[0]!.preChecksum !== header.preChecksum || records.at(-1)!.postChecksum !== header.postChecksum)
    throw damaged('its records do not lead from and to the checksums of its header');
  if (records[0]!.timestamp !== name.firstTime || records.at(-1)!.timestamp !== name.lastTime)
    throw damaged('its records were not committed at the times its name says');
  return records;
}
