import type { CommitObserver, WalCommit } from '../../core/vfs/index.ts';
import { Position, PositionMismatchError, TxRecord, type PositionLike, type TxMeta } from '../log/index.ts';
import { hex16 } from '../log/position.ts';
import { CaptureError } from './capture-error.ts';
import { PageChecksumTable } from './page-checksum-table.ts';

const DB_ID = /^[0-9a-f]{32}$/;
const MAX_U64 = (1n << 64n) - 1n;

/**
 * The part of a wasmlite `Database` that {@link WalCapture.start} uses (declared here so that
 * capture does not depend on the whole class).
 */
export interface CaptureDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  prepare(sql: string): { raw(toggle?: boolean): { iterate(...params: unknown[]): IterableIterator<unknown[]> } };
}

/**
 * Options of {@link WalCapture}.
 *
 * @example
 * new WalCapture({ dbId: log.dbId ?? newDbId(), epoch: 1n, sink: (record) => log.append(record) });
 */
export interface WalCaptureOptions {
  /** The database identity written into every record: 32 lowercase hex digits. */
  readonly dbId: string;
  /** The leader epoch written into every record. */
  readonly epoch: bigint;
  /**
   * Takes each record, in txid order, while SQLite waits to write the commit frame: it must be
   * durable when the sink returns (`log.append` is), because the user's COMMIT returns right
   * after. Throwing refuses the commit: SQLite rolls the transaction back, and the capture does
   * not advance.
   */
  readonly sink: (record: TxRecord) => unknown;
  /** The clock for the records' timestamps (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * The primary side of replication: a {@link CommitObserver} that turns each transaction SQLite
 * commits into a {@link TxRecord} (the next txid, the given dbId and epoch, the pages, and the
 * database checksum before and after, kept in a per-page checksum table in O(pages changed)) and
 * hands it to a sink, typically `TransactionLog.append`, before the commit returns.
 *
 * Lifecycle: attach it to the database's VFS with `vfs.observe(path, capture)` *before* opening
 * the database, open it, then {@link start} it at the log's last position. The database must be
 * in WAL mode with `locking_mode=NORMAL` and stay so: a commit in a rollback-journal mode is not
 * seen by the VFS (the caller must refuse `PRAGMA journal_mode` changes on the primary).
 *
 * Failures: a commit before `start` is refused with {@link CaptureError}; a sink that throws
 * refuses the commit (the write fails with `SQLITE_IOERR_WRITE`, the sink's error as cause) and
 * the capture stays where it was. If SQLite fails to finish a commit after the sink took it
 * (the commit frame could not be written), the log is one transaction ahead of the database:
 * the capture stops, refusing every later commit with {@link CaptureError}, because records
 * built on a database that lacks that transaction would describe pages the replicas do not have.
 *
 * @example
 * const log = TransactionLog.open('/srv/app.db-log');
 * const capture = new WalCapture({ dbId, epoch: 1n, sink: (record) => log.append(record) });
 * vfs.observe('/srv/app.db', capture);
 * const db = await open('/srv/app.db', { vfs: vfs.name });
 * capture.start(db, log.lastPosition()); // PositionMismatchError if the database is not the log's
 * db.exec('INSERT INTO t VALUES (1)');    // in the log before this returns
 */
export class WalCapture implements CommitObserver {
  readonly #dbId: string;
  readonly #epoch: bigint;
  readonly #sink: (record: TxRecord) => unknown;
  readonly #now: () => number;
  #table: PageChecksumTable | undefined;
  #position: Position | undefined;
  #failure: CaptureError | undefined;
  /** The last commit handed to the sink: the only one a `commitFailed` can be about. */
  #sunk: WalCommit | undefined;
  /** The metadata for the next record, while a {@link withMeta} callback runs. */
  #meta: TxMeta | undefined;

  constructor(options: WalCaptureOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected the "options" argument to be an object');
    if (typeof options.dbId !== 'string' || !DB_ID.test(options.dbId)) {
      throw new TypeError('Expected the "dbId" option to be 32 lowercase hex digits');
    }
    if (typeof options.epoch !== 'bigint' || options.epoch < 0n || options.epoch > MAX_U64) {
      throw new TypeError('Expected the "epoch" option to be a bigint between 0 and 2^64-1');
    }
    if (typeof options.sink !== 'function') throw new TypeError('Expected the "sink" option to be a function');
    if (options.now !== undefined && typeof options.now !== 'function')
      throw new TypeError('Expected the "now" option to be a function');
    this.#dbId = options.dbId;
    this.#epoch = options.epoch;
    this.#sink = options.sink;
    this.#now = options.now ?? Date.now;
  }

  /** The position of the last record handed to the sink (the start position before any); `undefined` before {@link start}. */
  get position(): Position | undefined {
    return this.#position;
  }

  /** Why the capture stopped, if it did (then every commit is refused with this error). */
  get failure(): CaptureError | undefined {
    return this.#failure;
  }

  /**
   * Starts capturing from the database as it is now and returns its position. The database is
   * what SQLite reads: the main file overlaid with the WAL's committed frames, so no checkpoint
   * is needed. Its pages are read once through `sqlite_dbpage` to build the page checksum table.
   *
   * `from` is where the log stands (`log.lastPosition()`): the database's checksum must be
   * `from.checksum`, and the first record gets txid `from.txid + 1`. Without `from` (an empty
   * log) the first record is txid 1, continuing from the database's checksum.
   *
   * Throws a TypeError for bad arguments, if already started, or if the database is not in WAL
   * mode with `locking_mode=NORMAL`; {@link PositionMismatchError} (`have` = `from`, `got` = the
   * database's checksum at `from.txid`) if the database is not the one the log describes.
   *
   * @example
   * const pos = capture.start(db, log.lastPosition());
   */
  start(database: CaptureDatabase, from?: PositionLike): Position {
    if (this.#table !== undefined) throw new TypeError('The capture has already started');
    if (typeof database?.pragma !== 'function' || typeof database.prepare !== 'function') {
      throw new TypeError('Expected the database to be a wasmlite Database');
    }
    const have = from === undefined ? undefined : Position.from(from);
    const mode = String(database.pragma('journal_mode', { simple: true })).toLowerCase();
    if (mode !== 'wal') throw new TypeError(`Expected the database to be in WAL mode, it is in ${mode} mode`);
    const locking = String(database.pragma('locking_mode', { simple: true })).toLowerCase();
    if (locking !== 'normal')
      throw new TypeError(`Expected the database to use locking_mode=normal, it uses ${locking}`);
    const table = new PageChecksumTable(Number(database.pragma('page_size', { simple: true })));
    // One statement is one read transaction: a consistent snapshot of every page.
    for (const [pgno, data] of database.prepare('SELECT pgno, data FROM sqlite_dbpage').raw().iterate()) {
      if (pgno !== table.pageCount + 1)
        throw new Error(`sqlite_dbpage returned page ${String(pgno)} after page ${table.pageCount}`);
      table.push(data as Uint8Array);
    }
    const position = new Position(have?.txid ?? 0n, table.checksum);
    if (have !== undefined && !position.equals(have)) throw new PositionMismatchError(have, position);
    this.#table = table;
    this.#position = position;
    return position;
  }

  /**
   * The {@link CommitObserver} side: builds the next record and hands it to the sink. A commit
   * that changes nothing (after a `ROLLBACK TO`, SQLite commits the restored pages as they were)
   * makes no record. Throws {@link CaptureError} before `start` or after the capture stopped,
   * and whatever the sink throws; in every such case the capture does not advance.
   */
  commit(commit: WalCommit): void {
    if (this.#failure !== undefined) throw this.#failure;
    const table = this.#table;
    const pre = this.#position;
    if (table === undefined || pre === undefined)
      throw new CaptureError('capture not started: a commit arrived before start()', undefined);
    if (commit.pageSize !== table.pageSize) {
      throw new CaptureError(`the page size changed from ${table.pageSize} to ${commit.pageSize}`, pre);
    }
    const plan = table.plan(commit.pages, commit.commitPageCount);
    if (!plan.changed) return;
    const meta = this.#meta;
    const record: TxRecord = {
      txid: pre.txid + 1n,
      epoch: this.#epoch,
      dbId: this.#dbId,
      pageSize: commit.pageSize,
      commitPageCount: commit.commitPageCount,
      pages: commit.pages,
      preChecksum: pre.checksum,
      postChecksum: plan.checksum,
      timestamp: this.#now(),
      ...(meta === undefined ? {} : { meta }),
    };
    this.#sink(record);
    this.#meta = undefined;
    plan.apply();
    this.#position = new Position(record.txid, record.postChecksum);
    this.#sunk = commit;
  }

  /**
   * Runs `commit` (which commits one transaction, typically `db.exec('COMMIT')` after running a
   * client's statements in `BEGIN`, so that their result is known before the commit) and attaches
   * `meta` (the request's idempotency key and, optionally, the encoded answer) to the record that
   * commit makes (FORMAT.md, "Metadata section"). Only the first record made during `commit` gets
   * it; a commit that changes nothing makes no record, and the metadata is dropped. Returns what
   * `commit` returns, and throws what it throws. Throws a `TypeError` for bad metadata (see
   * `TxRecord.checkMeta`) or a nested call, before `commit` runs.
   *
   * @example
   * db.exec('BEGIN IMMEDIATE');
   * const result = run(statement);
   * capture.withMeta({ idempotencyKey: key, result: encode(result) }, () => db.exec('COMMIT'));
   */
  withMeta<T>(meta: TxMeta, commit: () => T): T {
    TxRecord.checkMeta(meta);
    if (typeof commit !== 'function') throw new TypeError('Expected the "commit" argument to be a function');
    if (this.#meta !== undefined) throw new TypeError('Expected no withMeta call to be running already');
    this.#meta = meta;
    try {
      return commit();
    } finally {
      this.#meta = undefined;
    }
  }

  /** The {@link CommitObserver} side: SQLite did not commit the last record's transaction. */
  commitFailed(commit: WalCommit): void {
    if (commit !== this.#sunk) return;
    const txid = this.#position === undefined ? '?' : hex16(this.#position.txid);
    this.#failure ??= new CaptureError(
      `capture stopped: transaction ${txid} went to the sink but SQLite did not commit it, so the database is behind the log; reopen the database and bring it level with the log`,
      this.#position,
    );
  }
}
