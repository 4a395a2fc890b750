import { join } from 'node:path';
import { OwnerLock } from '../../core/vfs/index.ts';
import { positiveInteger } from '../../core/util/option-checks.ts';
import { deleteFile, ensureDirectory, syncDirectory } from './file-io.ts';
import { LogCompactedError } from './log-compacted-error.ts';
import { encodeFrameHeader, FrameFlags } from './log-frame.ts';
import { recoverLog, type LogRecovery, type SetAsideSegments } from './log-recovery.ts';
import { Position } from './position.ts';
import { PositionMismatchError } from './position-mismatch-error.ts';
import { formatProof } from './record-proof.ts';
import { Segment, SEGMENT_VERSION, type FrameParts, type SegmentEntry } from './segment.ts';
import { TxRecord, type TxRecordHeader } from './tx-record.ts';

const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;
/** Logs open in this process, by real directory path: two writers would interleave frames. */
const openDirectories = new Set<string>();

/**
 * Options of {@link TransactionLog.open}.
 *
 * @example
 * TransactionLog.open(dir, { segmentSize: 16 * 1024 * 1024 });
 */
export interface TransactionLogOptions {
  /**
   * Start a new segment file once the current one holds this many bytes (default 64 MiB). A
   * segment always takes at least one record, however large.
   */
  readonly segmentSize?: number;
  /**
   * `fdatasync` every append before it returns (default `true`). `false` is for tests and
   * benchmarks only: an append that returned can then be lost to a power failure.
   */
  readonly fsync?: boolean;
  /**
   * Open despite damage in a segment that is not the last, by setting that segment and the older
   * ones aside (renamed to `<name>.damaged`; see {@link TransactionLog.setAside}) instead of
   * throwing (default `false`). For a primary, whose database holds every transaction: replicas
   * that need a record set aside get a snapshot, as below a compacted log.
   */
  readonly setAsideDamage?: boolean;
}

/**
 * The primary's durable, append-only log of committed transactions, in a directory of segment
 * files named by their first txid (layout in FORMAT.md). `append` returns only once the record
 * is on disk, so a write may be acknowledged as soon as it returns; `readFrom` reads records back
 * for replicas while appends go on; `compact` deletes segments no replica needs.
 *
 * Opening checks every segment (headers, frames, that txids and checksums follow on) and cuts a
 * torn tail (an append that a crash cut short, never acknowledged) off the last one, reporting it
 * in `recovery`. Anything else that is wrong is a {@link LogCorruptionError}, never skipped
 * (with `setAsideDamage`, damage before the last segment sets the segments up to it aside).
 * File system failures are {@link LogIoError}s with Node's error as `cause`. One process at a
 * time may open a directory (`OwnerLockError` from another), and one `TransactionLog` in it.
 *
 * @example
 * const log = TransactionLog.open('/srv/app.db-log');
 * log.append(record);                 // durable when it returns: acknowledge the write now
 * for (const r of log.readFrom(8n)) send(r);
 * log.compact(oldestReplicaTxid);
 * log.close();
 */
export class TransactionLog {
  /** The log's directory (its real path). */
  readonly dir: string;
  /** The torn tail cut off when the log was opened, if there was one. */
  readonly recovery: LogRecovery | undefined;
  /** The damaged segments set aside when the log was opened (`setAsideDamage`), if any were. */
  readonly setAside: SetAsideSegments | undefined;
  readonly #options: Readonly<Required<TransactionLogOptions>>;
  readonly #segments: Segment[];
  #last: { position: Position; dbId: string; epoch: bigint } | undefined;
  #closed = false;
  /** Set once an append failed in a way that leaves the end of the log uncertain. */
  #failure: Error | undefined;

  private constructor(
    dir: string,
    options: Required<TransactionLogOptions>,
    segments: Segment[],
    last: TxRecordHeader | undefined,
    recovery: LogRecovery | undefined,
    setAside: SetAsideSegments | undefined,
  ) {
    this.dir = dir;
    this.#options = Object.freeze({ ...options });
    this.#segments = segments;
    this.#last =
      last === undefined
        ? undefined
        : { position: new Position(last.txid, last.postChecksum), dbId: last.dbId, epoch: last.epoch };
    this.recovery = recovery;
    this.setAside = setAside;
  }

  /**
   * Opens the log in `dir`, creating the directory if needed, and recovers it (see the class).
   * Throws a `TypeError` for bad options or if this process already has the log open,
   * `OwnerLockError` if another process has it, {@link LogCorruptionError} and {@link LogIoError}.
   *
   * @example
   * const log = TransactionLog.open('/srv/app.db-log', { segmentSize: 16 * 1024 * 1024 });
   * if (log.recovery) console.warn(`discarded a torn append: ${log.recovery.reason}`);
   */
  static open(dir: string, options: TransactionLogOptions = {}): TransactionLog {
    if (typeof dir !== 'string' || dir === '')
      throw new TypeError('Expected the log directory to be a non-empty string');
    const segmentSize = positiveInteger(options.segmentSize ?? DEFAULT_SEGMENT_SIZE, 'segmentSize');
    const fsync = options.fsync ?? true;
    if (typeof fsync !== 'boolean') throw new TypeError('Expected the "fsync" option to be a boolean');
    const setAsideDamage = options.setAsideDamage ?? false;
    if (typeof setAsideDamage !== 'boolean')
      throw new TypeError('Expected the "setAsideDamage" option to be a boolean');

    const real = ensureDirectory(dir);
    if (openDirectories.has(real)) throw new TypeError(`The transaction log in ${real} is already open`);
    const lockPath = join(real, 'log');
    OwnerLock.forProcess().acquire(lockPath);
    openDirectories.add(real);
    try {
      const { segments, last, recovery, setAside } = recoverLog(real, fsync, setAsideDamage);
      return new TransactionLog(real, { segmentSize, fsync, setAsideDamage }, segments, last, recovery, setAside);
    } catch (error) {
      openDirectories.delete(real);
      OwnerLock.forProcess().release(lockPath);
      throw error;
    }
  }

  /** The database identity of the records in the log, or `undefined` while it is empty. */
  get dbId(): string | undefined {
    return this.#last?.dbId;
  }

  /**
   * Appends a transaction and makes it durable: the frame is written and `fdatasync`ed (and the
   * directory synced when the record starts a new segment) before this returns the position it
   * leads to. The record must continue the log: txid one past the last and `preChecksum` equal to
   * the last `postChecksum` ({@link PositionMismatchError} otherwise, which also refuses a
   * duplicate), the same `dbId`, and an `epoch` no lower than the last record's (epochs never
   * decrease along a log). The first record of an empty log may start anywhere. The record is one
   * sync group of its own (FORMAT.md, "Sync groups").
   *
   * Throws a `TypeError` for an invalid record, another database's or an older epoch's, {@link LogIoError} if the
   * file system fails; the record is then not in the log. After a failed fsync the log refuses
   * further appends: close and reopen it.
   *
   * @example
   * const pos = log.append(record); // Position(record.txid, record.postChecksum)
   */
  append(record: TxRecord): Position {
    this.#checkOpen();
    return this.#append([{ record, bytes: TxRecord.encode(record) }]);
  }

  /**
   * Appends consecutive transactions as one sync group: their frames are written with one
   * `writev` and made durable with one `fdatasync` (group commit), and returns the position after
   * the last. Each record must continue the one before as for {@link TransactionLog.append}; if
   * any does not, nothing is written. A crash before the sync completes loses the whole group and
   * nothing before it (FORMAT.md, "Torn tails"). Throws as `append` does; a `TypeError` for an
   * empty list.
   *
   * @example
   * const pos = log.appendGroup([r8, r9, r10]); // acknowledge all three now
   */
  appendGroup(records: readonly TxRecord[]): Position {
    this.#checkOpen();
    if (!Array.isArray(records) || records.length === 0) {
      throw new TypeError('Expected the "records" argument to be a non-empty array');
    }
    return this.#append(records.map((record) => ({ record, bytes: TxRecord.encode(record) })));
  }

  /**
   * {@link TransactionLog.append} for a record already encoded (as received from a primary): the
   * bytes are verified with `TxRecord.decode` ({@link LogCorruptionError} if damaged) and written
   * as they are.
   *
   * @example
   * log.appendEncoded(bytesFromPrimary);
   */
  appendEncoded(bytes: Uint8Array): Position {
    this.#checkOpen();
    return this.#append([{ record: TxRecord.decode(bytes), bytes }]);
  }

  /**
   * The records with txid ≥ `txid`, in order, read from the files one at a time as the iterator
   * advances. It reads up to the end of the log as it is at each step, so records appended while
   * iterating are included; once past the end it is done (read again from the next txid later).
   * Each record is fully verified ({@link LogCorruptionError}); page data are views into a fresh
   * buffer per record.
   *
   * Throws {@link LogCompactedError} if `txid` is below {@link TransactionLog.firstTxid} (the
   * iterator throws it too if compaction overtakes it), a `TypeError` for a txid that is not a
   * positive bigint.
   *
   * @example
   * for (const record of log.readFrom(replica.txid + 1n)) stream.write(TxRecord.encode(record));
   */
  readFrom(txid: bigint): IterableIterator<TxRecord> {
    const entries = this.#entries(txid);
    return (function* () {
      for (const entry of entries) yield entry.record;
    })();
  }

  /**
   * {@link TransactionLog.readFrom}, yielding each record's verified bytes (the record as
   * `TxRecord.encode` made it, without the frame): what a primary streams to replicas.
   *
   * @example
   * for (const bytes of log.readEncodedFrom(from)) response.write(bytes);
   */
  readEncodedFrom(txid: bigint): IterableIterator<Uint8Array> {
    const entries = this.#entries(txid);
    return (function* () {
      for (const entry of entries) yield entry.bytes;
    })();
  }

  /**
   * The proof of possession of record `txid` (`recordProof`: its trailing CRC-32 in hex),
   * read from the file without reading the record; `undefined` if the record is not in the log
   * (compacted, txid 0, or past the end). Throws {@link LogIoError} if the file cannot be read.
   *
   * @example
   * log.recordProof(8n); // 'bf38d07b'
   */
  recordProof(txid: bigint): string | undefined {
    this.#checkOpen();
    const segment = this.#segmentOf(txid);
    return segment === undefined ? undefined : formatProof(segment.trailer(txid));
  }

  /**
   * The position after the last record: its txid and `postChecksum`; `undefined` while the log is
   * empty.
   *
   * @example
   * log.lastPosition()?.toString(); // '0000000000000009/5be0c3a1d27f4e88'
   */
  lastPosition(): Position | undefined {
    this.#checkOpen();
    return this.#last?.position;
  }

  /**
   * The epoch of the last record, `undefined` while the log is empty. Epochs never decrease along
   * a log, so a primary of an older term may not append to it.
   *
   * @example
   * if ((log.lastEpoch() ?? 0n) > epoch) throw new RangeError('a newer term wrote this log');
   */
  lastEpoch(): bigint | undefined {
    this.#checkOpen();
    return this.#last?.epoch;
  }

  /**
   * The txid of the oldest record still in the log, `undefined` while it is empty. A replica that
   * needs an older one must be sent a snapshot.
   *
   * @example
   * if (replicaTxid + 1n < (log.firstTxid() ?? 0n)) sendSnapshot();
   */
  firstTxid(): bigint | undefined {
    this.#checkOpen();
    return this.#segments[0]?.firstTxid;
  }

  /**
   * Deletes the segment files whose records all have txids below `keepFromTxid`, oldest first,
   * then syncs the directory; returns how many it deleted. Every record from `keepFromTxid` on
   * stays readable, and the segment holding the last record is never deleted, so the log keeps
   * its position. Throws a `TypeError` for a txid that is not a bigint, {@link LogIoError}.
   *
   * @example
   * log.compact(slowestReplicaTxid + 1n);
   */
  compact(keepFromTxid: bigint): number {
    this.#checkOpen();
    if (typeof keepFromTxid !== 'bigint') throw new TypeError('Expected the "keepFromTxid" to be a bigint');
    let deleted = 0;
    try {
      while (this.#segments.length > 1 && this.#segments[1]!.firstTxid <= keepFromTxid) {
        const segment = this.#segments[0]!;
        segment.close();
        deleteFile(segment.path);
        this.#segments.shift();
        deleted++;
      }
    } finally {
      if (deleted > 0) syncDirectory(this.dir);
    }
    return deleted;
  }

  /**
   * Closes the segment files and releases the directory. Iterators from `readFrom` stop working.
   * Calling it again does nothing.
   *
   * @example
   * process.on('SIGTERM', () => log.close());
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      for (const segment of this.#segments) segment.close();
    } finally {
      openDirectories.delete(this.dir);
      OwnerLock.forProcess().release(join(this.dir, 'log'));
    }
  }

  #append(group: ReadonlyArray<{ record: TxRecord; bytes: Uint8Array }>): Position {
    if (this.#failure !== undefined) {
      throw new TypeError('The transaction log cannot be appended to after a failed fsync; reopen it', {
        cause: this.#failure,
      });
    }
    let last = this.#last;
    for (const { record } of group) {
      if (last !== undefined) {
        if (record.dbId !== last.dbId) {
          throw new TypeError(
            `Expected the record's "dbId" to be ${last.dbId} (this log's database), got ${record.dbId}`,
          );
        }
        if (record.txid !== last.position.txid + 1n || record.preChecksum !== last.position.checksum) {
          throw new PositionMismatchError(last.position, new Position(record.txid - 1n, record.preChecksum));
        }
        if (record.epoch < last.epoch) {
          throw new TypeError(
            `Expected the record's "epoch" to be at least ${last.epoch} (the log's last epoch), got ${record.epoch}`,
          );
        }
      }
      last = {
        position: new Position(record.txid, record.postChecksum),
        dbId: record.dbId,
        epoch: record.epoch,
      };
    }
    const frames = group.map(({ record, bytes }, i): FrameParts => {
      const flags = (i === 0 ? FrameFlags.GROUP_START : 0) | (i === group.length - 1 ? FrameFlags.GROUP_END : 0);
      return [encodeFrameHeader(record.txid, bytes.length, flags), bytes];
    });
    const active = this.#segments.at(-1);
    // A version 1 segment's frames cannot carry group flags: the next group starts a new segment.
    if (active === undefined || active.size >= this.#options.segmentSize || active.version !== SEGMENT_VERSION) {
      this.#startSegment(group[0]!.record, frames);
    } else {
      try {
        active.append(frames, this.#options.fsync);
      } catch (error) {
        if (active.damaged) this.#failure = error as Error;
        throw error;
      }
    }
    this.#last = last;
    return last!.position;
  }

  #startSegment(record: TxRecord, frames: FrameParts[]): void {
    const segment = Segment.create(
      this.dir,
      { version: SEGMENT_VERSION, dbId: record.dbId, firstTxid: record.txid, createdAt: Date.now() },
      frames,
      this.#options.fsync,
    );
    // From here the file is in the directory: if its name is not made durable, what is on disk is unknown.
    try {
      if (this.#options.fsync) syncDirectory(this.dir);
    } catch (error) {
      this.#failure = error as Error;
      segment.close();
      throw error;
    }
    this.#segments.push(segment);
  }

  #entries(from: bigint): IterableIterator<SegmentEntry> {
    this.#checkOpen();
    if (typeof from !== 'bigint' || from < 1n) throw new TypeError('Expected the "txid" to be a positive bigint');
    const first = this.#segments[0]?.firstTxid;
    if (first !== undefined && from < first) throw new LogCompactedError(from, first);
    const log = this;
    return (function* () {
      for (let txid = from; ; txid++) {
        const entry = log.#read(txid);
        if (entry === undefined) return;
        yield entry;
      }
    })();
  }

  /** The record `txid`, or `undefined` if it is past the end. */
  #read(txid: bigint): SegmentEntry | undefined {
    this.#checkOpen();
    const segments = this.#segments;
    if (segments.length === 0 || txid > segments.at(-1)!.lastTxid) return undefined;
    if (txid < segments[0]!.firstTxid) throw new LogCompactedError(txid, segments[0]!.firstTxid);
    return this.#segmentOf(txid)!.read(txid);
  }

  /** The segment that holds record `txid`, if one does. */
  #segmentOf(txid: bigint): Segment | undefined {
    const segments = this.#segments;
    if (segments.length === 0 || txid < segments[0]!.firstTxid || txid > segments.at(-1)!.lastTxid) return undefined;
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (segments[middle]!.firstTxid <= txid) low = middle;
      else high = middle - 1;
    }
    return segments[low];
  }

  #checkOpen(): void {
    if (this.#closed) throw new TypeError('The transaction log is closed');
  }
}
