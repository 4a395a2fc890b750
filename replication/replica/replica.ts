import { Database } from '../../core/database/index.ts';
import { loadEngine } from '../../core/sqlite3/engine.ts';
import fs from 'node:fs';
import { defaultVfs, type SqliteVfs } from '../../core/vfs/index.ts';
import { PageChecksumTable } from '../capture/index.ts';
import { Position, PositionMismatchError, type PositionLike, type TxRecord } from '../log/index.ts';
import { PositionFile } from './position-file.ts';
import { stampPageOne } from './stamp-page-one.ts';

/** The WAL size (in frames) past which an apply checkpoints, as SQLite's default autocheckpoint. */
const CHECKPOINT_FRAMES = 1000;

/**
 * Options of {@link Replica.open}.
 *
 * @example
 * await Replica.open('/srv/replica.db', { from: snapshot.position });
 */
export interface ReplicaOptions {
  /**
   * Where the database is, for a replica without a position file yet (just bootstrapped from a
   * snapshot); the database's checksum must be `from.checksum`. Ignored when the file exists.
   */
  readonly from?: PositionLike;
  /** Make each apply durable before it returns: fsync the position file, `synchronous=FULL` (default true). */
  readonly sync?: boolean;
  /** How long an apply waits for the WAL write lock, in ms (default 5000). */
  readonly timeout?: number;
  /** A wasmlite VFS instead of the default node:fs one; readers must use the same one. */
  readonly vfs?: Pick<SqliteVfs, 'name' | 'withChangeCounter'>;
}

/**
 * A replica's local database: an ordinary WAL-mode SQLite file that applications read through
 * their own `open()` connections in this process, to which {@link Replica.apply} adds the
 * primary's transactions one {@link TxRecord} at a time.
 *
 * Each apply is one ordinary WAL commit made by a fresh connection that writes the record's pages
 * through `sqlite_dbpage`: readers pick it up at their next read transaction exactly as a local
 * commit (page cache and schema included) and a reader inside a read transaction keeps its
 * snapshot. The position lives in the file `<path>-position` (README.md), written before the
 * commit, so a crash at any moment leaves a database at the position before or after the record.
 *
 * No other connection may write to the database: the replica's bytes must stay the primary's.
 *
 * @example
 * const replica = await Replica.open('/srv/replica.db', { from: snapshotPosition });
 * for await (const record of stream) replica.apply(record); // PositionMismatchError if diverged
 * replica.close();
 */
export class Replica {
  /** The database file. */
  readonly path: string;
  readonly #positionFile: string;
  readonly #sync: boolean;
  readonly #connect: () => Database;
  readonly #vfs: Pick<SqliteVfs, 'withChangeCounter'>;
  readonly #table: PageChecksumTable;
  #position: Position;
  #open = true;

  private constructor(path: string, sync: boolean, connect: () => Database, vfs: Pick<SqliteVfs, 'withChangeCounter'>, table: PageChecksumTable, position: Position) {
    this.#vfs = vfs;
    this.path = path;
    this.#positionFile = `${path}-position`;
    this.#sync = sync;
    this.#connect = connect;
    this.#table = table;
    this.#position = position;
  }

  /**
   * Opens the replica of the database at `path` (which must exist) and finds its position: from
   * its position file, checked against the database's checksum (after a crash mid-apply, the
   * file names both candidates and the checksum picks one), or from `options.from` on first open.
   *
   * Throws a TypeError for bad arguments, a missing position without `from`, or a database not in
   * WAL mode; {@link PositionMismatchError} if the database's checksum is not the position's
   * (`have` = the position file's or `from`, `got` = the database's checksum); `SqliteError` if
   * the database cannot be opened.
   *
   * @example
   * const replica = await Replica.open('/srv/replica.db');
   * replica.position.toString(); // '0000000000000007/ab12cd34ef560789'
   */
  static async open(path: string, options: ReplicaOptions = {}): Promise<Replica> {
    if (typeof path !== 'string' || path === '') throw new TypeError('Expected the "path" argument to be a non-empty string');
    if (options === null || typeof options !== 'object') throw new TypeError('Expected the "options" argument to be an object');
    const sync = options.sync ?? true;
    if (typeof sync !== 'boolean') throw new TypeError('Expected the "sync" option to be a boolean');
    const timeout = options.timeout ?? 5000;
    if (!Number.isSafeInteger(timeout) || timeout < 0) throw new TypeError('Expected the "timeout" option to be a non-negative integer');
    if (options.vfs !== undefined && typeof options.vfs?.withChangeCounter !== 'function') throw new TypeError('Expected the "vfs" option to be a wasmlite SqliteVfs');
    const from = options.from === undefined ? undefined : Position.from(options.from);

    const engine = await loadEngine();
    const vfs = options.vfs ?? defaultVfs(engine);
    // A Database is built synchronously once the engine is loaded, so that apply() stays synchronous.
    const connect = (): Database => {
      const db = new Database(engine, path, { fileMustExist: true, timeout, vfs: vfs.name }, vfs.name);
      db.pragma(`synchronous = ${sync ? 'FULL' : 'OFF'}`);
      db.pragma('wal_autocheckpoint = 0');
      return db;
    };
    const db = connect();
    let table: PageChecksumTable;
    try {
      const mode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
      if (mode !== 'wal') throw new TypeError(`Expected the replica database to be in WAL mode, it is in ${mode} mode`);
      table = new PageChecksumTable(Number(db.pragma('page_size', { simple: true })));
      // One statement is one read transaction: a consistent snapshot of every page.
      for (const [pgno, data] of db.prepare('SELECT pgno, data FROM sqlite_dbpage').raw().iterate()) {
        if (pgno !== table.pageCount + 1) throw new Error(`sqlite_dbpage returned page ${String(pgno)} after page ${table.pageCount}`);
        table.push(data as Uint8Array);
      }
    } finally {
      db.close();
    }

    const positionFile = `${path}-position`;
    const saved = PositionFile.read(positionFile);
    let position: Position;
    if (saved !== undefined) {
      if (table.checksum === saved.to.checksum) position = saved.to;
      else if (table.checksum === saved.from.checksum) position = saved.from;
      else throw new PositionMismatchError(saved.to, new Position(saved.to.txid, table.checksum));
    } else {
      if (from === undefined) throw new TypeError(`Expected the "from" option: ${path} has no position file`);
      if (table.checksum !== from.checksum) throw new PositionMismatchError(from, new Position(from.txid, table.checksum));
      position = from;
    }
    PositionFile.write(positionFile, { from: position, to: position }, sync);
    return new Replica(path, sync, connect, vfs, table, position);
  }

  /** Where the database is: the last record applied. */
  get position(): Position {
    return this.#position;
  }

  /**
   * Applies `record` as one transaction and returns the new position. The record must continue
   * from the replica's position (txid + 1, `preChecksum`) and its pages must give `postChecksum`;
   * checked before anything is written.
   *
   * Throws {@link PositionMismatchError} (nothing applied) if the record does not continue from
   * the position (`have` = the position, `got` = the record's pre-position) or does not lead to
   * its `postChecksum` (`have` = where its pages lead, `got` = what it claims); a TypeError for a
   * record of another page size or after close; `SqliteError` if SQLite fails (rolled back, the
   * position unchanged).
   *
   * @example
   * const pos = replica.apply(record); // pos.txid === record.txid
   */
  apply(record: TxRecord): Position {
    if (!this.#open) throw new TypeError('The replica is closed');
    if (record === null || typeof record !== 'object' || !Array.isArray(record.pages)) throw new TypeError('Expected the record to be a TxRecord');
    const pre = this.#position;
    if (record.txid !== pre.txid + 1n || record.preChecksum !== pre.checksum) {
      throw new PositionMismatchError(pre, new Position(record.txid - 1n, record.preChecksum));
    }
    const table = this.#table;
    if (record.pageSize !== table.pageSize) {
      throw new TypeError(`Expected the record's page size to be the replica's (${table.pageSize}), got ${record.pageSize}`);
    }
    // What SQLite will write: page 1 stamped as its WAL writer does. The primary's page 1 was
    // stamped the same way, so this differs from the record only for a foreign SQLite version.
    const stamped = stampPageOne(record.pages);
    const plan = table.plan(stamped.pages, record.commitPageCount);
    const post = new Position(record.txid, record.postChecksum);
    if (plan.checksum !== record.postChecksum) throw new PositionMismatchError(new Position(record.txid, plan.checksum), post);

    PositionFile.write(this.#positionFile, { from: pre, to: post }, this.#sync);
    this.#write(record, table.pageCount, stamped.counter);
    plan.apply();
    this.#position = post;
    return post;
  }

  /**
   * Ends the replica; the database and its readers stay as they are. Closing twice does nothing.
   *
   * @example
   * replica.close();
   */
  close(): void {
    this.#open = false;
  }

  /**
   * One WAL commit on a connection of its own, closed after it: `sqlite_dbpage` writes bypass the
   * btree layer, so that connection's schema and header caches go stale, and a fresh connection
   * per apply means they are never used (README.md).
   */
  #write(record: TxRecord, oldPageCount: number, counter: number | undefined): void {
    const opened: Database[] = [];
    const commit = (): void => {
      const db = this.#connect();
      opened.push(db);
      this.#commit(db, record, oldPageCount);
    };
    try {
      // SQLite stamps page 1 with the change counter it read plus one (README.md); the connection
      // opens inside the override because opening already reads page 1.
      if (counter === undefined) commit();
      else this.#vfs.withChangeCounter(this.path, (counter - 1) >>> 0, record.pageSize, commit);
      const wal = fs.statSync(`${this.path}-wal`, { throwIfNoEntry: false });
      if (wal !== undefined && wal.size > CHECKPOINT_FRAMES * (record.pageSize + 24)) opened[0]!.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      for (const db of opened) db.close();
    }
  }

  #commit(db: Database, record: TxRecord, oldPageCount: number): void {
    db.exec('BEGIN IMMEDIATE');
    try {
      const insert = db.prepare('INSERT INTO sqlite_dbpage (pgno, data) VALUES (?, ?)');
      const count = record.commitPageCount;
      // Page 1 goes after the other pages: each run checks the schema cookie in page 1 against
      // the connection's schema, and a new cookie makes SQLite reload the schema, which must not
      // happen from half-written pages.
      const pageOne = record.pages[0]?.pgno === 1 ? record.pages[0] : undefined;
      for (const { pgno, data } of record.pages) if (pgno !== 1) insert.run(pgno, data);
      const last = record.pages.length === 0 ? 0 : record.pages[record.pages.length - 1]!.pgno;
      // Growth the record does not carry reads as zeros, as on the primary.
      if (count > Math.max(oldPageCount, last)) insert.run(count, new Uint8Array(record.pageSize));
      if (pageOne !== undefined) insert.run(1, pageOne.data);
      // A NULL page truncates the database to the pages before it; it goes last because writing
      // any page after it cancels the truncation.
      if (count < oldPageCount) insert.run(count + 1, null);
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

}
