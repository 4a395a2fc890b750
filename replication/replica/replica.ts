import { Database } from '../../core/database/index.ts';
import { loadEngine } from '../../core/sqlite3/engine.ts';
import { defaultVfs, type SqliteVfs } from '../../core/vfs/index.ts';
import { nonNegativeInteger } from '../../core/util/option-checks.ts';
import { PageChecksumTable, type ChecksumPlan } from '../capture/index.ts';
import { Position, PositionMismatchError, type PositionLike, type TxRecord } from '../log/index.ts';
import { PositionFile, type PositionWriter } from './position-file.ts';
import { stampPageOne } from './stamp-page-one.ts';

/**
 * How many WAL frames the applies write between checkpoints (SQLite's default autocheckpoint).
 * Counting frames, not the WAL file's size: the file keeps its size when SQLite restarts the
 * WAL from its beginning after a complete checkpoint.
 */
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

/** Every page of the database in `db`, checksummed; one statement is one read transaction. */
function scanPages(db: Database): PageChecksumTable {
  const table = new PageChecksumTable(Number(db.pragma('page_size', { simple: true })));
  for (const [pgno, data] of db.prepare('SELECT pgno, data FROM sqlite_dbpage').raw().iterate()) {
    if (pgno !== table.pageCount + 1)
      throw new Error(`sqlite_dbpage returned page ${String(pgno)} after page ${table.pageCount}`);
    table.push(data as Uint8Array);
  }
  return table;
}

function checkRecord(record: TxRecord): void {
  if (record === null || typeof record !== 'object' || !Array.isArray(record.pages))
    throw new TypeError('Expected the record to be a TxRecord');
}

/** What one commit writes: the last image of each page of a run of records, and where it leads. */
interface Run {
  readonly post: Position;
  readonly pages: Map<number, Uint8Array | null>;
  readonly oldPageCount: number;
  readonly pageCount: number;
  /** The change counter of the run's last page 1, as SQLite will stamp it. */
  readonly counter: number | undefined;
}

/**
 * A replica's local database: an ordinary WAL-mode SQLite file that applications read through
 * their own `open()` connections in this process, to which {@link Replica.apply} and
 * {@link Replica.applyBatch} add the primary's transactions ({@link TxRecord}s).
 *
 * Each apply is one ordinary WAL commit made by a fresh connection that writes the records' pages
 * through `sqlite_dbpage`: readers pick it up at their next read transaction exactly as a local
 * commit (page cache and schema included) and a reader inside a read transaction keeps its
 * snapshot. The position lives in the file `<path>-position` (README.md), written before the
 * commit, so a crash at any moment leaves a database at the position before or after the commit.
 * One more connection stays open, idle, until {@link Replica.close}, so that the WAL is not
 * checkpointed and deleted after every apply; the applies checkpoint it every 1000 frames.
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
  readonly #sync: boolean;
  readonly #connect: () => Database;
  readonly #vfs: Pick<SqliteVfs, 'withChangeCounter'>;
  /**
   * Open from `open` to `close` and never used: while it is, closing an applying connection is
   * not closing the last connection, which would checkpoint and delete the WAL every apply.
   */
  readonly #keeper: Database;
  readonly #positions: PositionWriter;
  #table: PageChecksumTable;
  /**
   * Set when an apply failed after the checksum table moved on and rebuilding it failed too: the
   * file is at `pre` or `post`, and the table is rebuilt before the next apply.
   */
  #stale: { readonly pre: Position; readonly post: Position } | undefined;
  #position: Position;
  /** WAL frames written since the last checkpoint. */
  #frames = 0;
  #open = true;

  private constructor(
    path: string,
    sync: boolean,
    connect: () => Database,
    vfs: Pick<SqliteVfs, 'withChangeCounter'>,
    keeper: Database,
    positions: PositionWriter,
    table: PageChecksumTable,
    position: Position,
  ) {
    this.path = path;
    this.#sync = sync;
    this.#connect = connect;
    this.#vfs = vfs;
    this.#keeper = keeper;
    this.#positions = positions;
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
    if (typeof path !== 'string' || path === '')
      throw new TypeError('Expected the "path" argument to be a non-empty string');
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected the "options" argument to be an object');
    const sync = options.sync ?? true;
    if (typeof sync !== 'boolean') throw new TypeError('Expected the "sync" option to be a boolean');
    const timeout = nonNegativeInteger(options.timeout ?? 5000, 'timeout');
    if (options.vfs !== undefined && typeof options.vfs?.withChangeCounter !== 'function')
      throw new TypeError('Expected the "vfs" option to be a wasmlite SqliteVfs');
    const from = options.from === undefined ? undefined : Position.from(options.from);

    const engine = await loadEngine();
    const vfs = options.vfs ?? defaultVfs(engine);
    // A Database is built synchronously once the engine is loaded, so that apply() stays synchronous.
    const connect = (): Database => {
      const db = new Database(path, { fileMustExist: true, timeout, vfs: vfs.name });
      db.pragma(`synchronous = ${sync ? 'FULL' : 'OFF'}`);
      db.pragma('wal_autocheckpoint = 0');
      return db;
    };
    // The connection that scans the database stays open as the keeper; it reads nothing after.
    const keeper = connect();
    try {
      const mode = String(keeper.pragma('journal_mode', { simple: true })).toLowerCase();
      if (mode !== 'wal') throw new TypeError(`Expected the replica database to be in WAL mode, it is in ${mode} mode`);
      const table = scanPages(keeper);

      const positionFile = `${path}-position`;
      const saved = PositionFile.read(positionFile);
      let position: Position;
      if (saved !== undefined) {
        if (table.checksum === saved.to.checksum) position = saved.to;
        else if (table.checksum === saved.from.checksum) position = saved.from;
        else throw new PositionMismatchError(saved.to, new Position(saved.to.txid, table.checksum));
      } else {
        if (from === undefined) throw new TypeError(`Expected the "from" option: ${path} has no position file`);
        if (table.checksum !== from.checksum)
          throw new PositionMismatchError(from, new Position(from.txid, table.checksum));
        position = from;
      }
      // Replaced whole once per open (which also turns a version-1 file into version 2), then
      // written in place by each apply.
      PositionFile.write(positionFile, { from: position, to: position }, sync);
      const positions = PositionFile.open(positionFile, sync);
      return new Replica(path, sync, connect, vfs, keeper, positions, table, position);
    } catch (error) {
      keeper.close();
      throw error;
    }
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
    checkRecord(record);
    return this.#applyRecords([record]);
  }

  /**
   * Applies consecutive records with as few commits as it can, and returns the new position: the
   * last page image of each page of a run of records is written in one WAL commit, with one
   * position write. Readers see the records of a commit at once, never part of one. A record that
   * shrinks the database is committed on its own. Each record is checked in turn as by
   * {@link Replica.apply}; the first that does not fit throws the same errors, after the
   * records before it are applied (the position says how far it got).
   *
   * @example
   * const pos = replica.applyBatch(records); // pos.txid === records.at(-1).txid
   */
  applyBatch(records: readonly TxRecord[]): Position {
    if (!this.#open) throw new TypeError('The replica is closed');
    if (!Array.isArray(records)) throw new TypeError('Expected the "records" argument to be an array of TxRecords');
    for (const record of records) checkRecord(record);
    return this.#applyRecords(records);
  }

  /**
   * Ends the replica and closes its idle connection (the last connection to close checkpoints
   * the WAL); the database and its readers stay as they are. Closing twice does nothing.
   *
   * @example
   * replica.close();
   */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#positions.close();
    this.#keeper.close();
  }

  #applyRecords(records: readonly TxRecord[]): Position {
    if (this.#stale !== undefined) this.#recover(this.#stale.pre, this.#stale.post);
    for (let next = 0; next < records.length;) next = this.#applyRun(records, next);
    return this.#position;
  }

  /**
   * Applies records from `start` in one commit, as many as continue without shrinking the
   * database (a shrinking record goes alone), and returns the index of the first not applied.
   * Throws the first record's error before writing anything, a later record's after the commit.
   */
  #applyRun(records: readonly TxRecord[], start: number): number {
    const table = this.#table;
    const pre = this.#position;
    const oldPageCount = table.pageCount;
    const pages = new Map<number, Uint8Array | null>();
    let post = pre;
    let counter: number | undefined;
    let refused: Error | undefined;
    let next = start;
    let moved = false;
    try {
      for (; next < records.length; next++) {
        const record = records[next]!;
        if (record.txid !== post.txid + 1n || record.preChecksum !== post.checksum) {
          refused = new PositionMismatchError(post, new Position(record.txid - 1n, record.preChecksum));
          break;
        }
        if (record.pageSize !== table.pageSize) {
          refused = new TypeError(
            `Expected the record's page size to be the replica's (${table.pageSize}), got ${record.pageSize}`,
          );
          break;
        }
        const pageCount = table.pageCount;
        const shrinks = record.commitPageCount < pageCount;
        // A page truncated away and written again by a later record of the same commit would
        // need its zeros written too: a shrinking record keeps its commit to itself.
        if (shrinks && next > start) break;
        // What SQLite will write: page 1 stamped as its WAL writer does. The primary's page 1 was
        // stamped the same way, so this differs from the record only for a foreign SQLite version.
        let stamped: ReturnType<typeof stampPageOne>;
        let plan: ChecksumPlan;
        try {
          stamped = stampPageOne(record.pages);
          plan = table.plan(stamped.pages, record.commitPageCount);
        } catch (error) {
          // A malformed record (pages out of order or of the wrong size) fails here, like a refused one.
          refused = error as Error;
          break;
        }
        const after = new Position(record.txid, record.postChecksum);
        if (plan.checksum !== record.postChecksum) {
          refused = new PositionMismatchError(new Position(record.txid, plan.checksum), after);
          break;
        }
        // The table moves on before the commit; a failure from here on rebuilds it (#recover).
        moved = true;
        plan.apply();
        let last = 0;
        for (const { pgno, data } of stamped.pages) {
          pages.set(pgno, data);
          last = pgno;
        }
        // Growth the record does not carry reads as zeros, as on the primary.
        if (record.commitPageCount > Math.max(pageCount, last)) pages.set(record.commitPageCount, null);
        if (stamped.counter !== undefined) counter = stamped.counter;
        post = after;
        if (shrinks) {
          next++;
          break;
        }
      }
      if (next === start) throw refused!;
      this.#positions.write({ from: pre, to: post });
      this.#write({ post, pages, oldPageCount, pageCount: table.pageCount, counter });
    } catch (error) {
      if (moved && this.#position === pre) {
        this.#stale = { pre, post };
        try {
          this.#recover(pre, post);
        } catch {
          // Still stale: the next apply tries again.
        }
      }
      throw error;
    }
    if (refused !== undefined) throw refused;
    return next;
  }

  /**
   * One WAL commit on a connection of its own, closed after it: `sqlite_dbpage` writes bypass the
   * btree layer, so that connection's schema and header caches go stale, and a fresh connection
   * per commit means they are never used (README.md).
   */
  #write(run: Run): void {
    let db: Database | undefined;
    const commit = (): void => {
      db = this.#connect();
      this.#commit(db, run);
    };
    try {
      // SQLite stamps page 1 with the change counter it read plus one (README.md); the connection
      // opens inside the override because opening already reads page 1.
      if (run.counter === undefined) commit();
      else this.#vfs.withChangeCounter(this.path, (run.counter - 1) >>> 0, this.#table.pageSize, commit);
      this.#position = run.post;
      this.#frames += run.pages.size;
      if (this.#frames >= CHECKPOINT_FRAMES) {
        this.#frames = 0;
        // PASSIVE never waits for readers; what they still need is copied by a later one.
        db!.pragma('wal_checkpoint(PASSIVE)');
      }
    } finally {
      db?.close();
    }
  }

  #commit(db: Database, run: Run): void {
    db.exec('BEGIN IMMEDIATE');
    try {
      const insert = db.prepare('INSERT INTO sqlite_dbpage (pgno, data) VALUES (?, ?)');
      const pgnos = [...run.pages.keys()].sort((a, b) => a - b);
      const zeros = new Uint8Array(this.#table.pageSize);
      // Page 1 goes after the other pages: each run checks the schema cookie in page 1 against
      // the connection's schema, and a new cookie makes SQLite reload the schema, which must not
      // happen from half-written pages.
      for (const pgno of pgnos) if (pgno !== 1) insert.run(pgno, run.pages.get(pgno) ?? zeros);
      const pageOne = run.pages.get(1);
      if (pageOne !== undefined) insert.run(1, pageOne ?? zeros);
      // A NULL page truncates the database to the pages before it; it goes last because writing
      // any page after it cancels the truncation.
      if (run.pageCount < run.oldPageCount) insert.run(run.pageCount + 1, null);
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Rebuilds the checksum table from the file after a failed apply, and takes the position the
   * file is at: `pre`, or `post` if the commit made it to the file before the failure. Anything
   * else closes the replica with a {@link PositionMismatchError}.
   */
  #recover(pre: Position, post: Position): void {
    const db = this.#connect();
    try {
      this.#table = scanPages(db);
    } finally {
      db.close();
    }
    this.#stale = undefined;
    const checksum = this.#table.checksum;
    if (checksum === post.checksum) this.#position = post;
    else if (checksum === pre.checksum) this.#position = pre;
    else {
      this.close();
      throw new PositionMismatchError(pre, new Position(pre.txid, checksum));
    }
  }
}
