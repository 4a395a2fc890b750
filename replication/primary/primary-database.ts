import fs from 'node:fs';
import { open, SqliteError, type Database } from '../../core/index.ts';
import { loadEngine } from '../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../core/vfs/index.ts';
import { WalCapture } from '../capture/index.ts';
import { LogCorruptionError, TransactionLog, type Position, type TxRecord } from '../log/index.ts';
import { loadDbId } from './db-id-file.ts';
import { levelWithLog } from './level-with-log.ts';
import { LogDamage } from './log-damage.ts';
import { withRecoveryHint } from './log-damage-errors.ts';

/**
 * Options of {@link PrimaryDatabase.open}.
 *
 * @example
 * await PrimaryDatabase.open({ path: '/srv/app.db', logDir: '/srv/app.db-log' });
 */
export interface PrimaryDatabaseOptions {
  /** The database file. */
  readonly path: string;
  /** The transaction log's directory. */
  readonly logDir: string;
  /** Start a new log segment once the current one holds this many bytes (default the log's own, 64 MiB). */
  readonly logSegmentBytes?: number;
  /** Where damage found in the log is told (default `console.warn`). */
  readonly warn?: (message: string) => void;
  /** The epoch stamped into the records this primary writes (default 1). */
  readonly epoch?: bigint;
  /**
   * Where an empty log starts: the position and database identity of a replica promoted to
   * primary (its records continue that history). Ignored when the log has records.
   */
  readonly startAt?: { readonly position: Position; readonly dbId: string };
}

/**
 * The primary's one writer connection with its capture and log: every commit on {@link db} is in
 * the log (durably) before it returns, and {@link onRecord} listeners hear of it right after.
 *
 * Opening brings the database level with the log first (see `levelWithLog`), so a crash between
 * a log append and the WAL commit loses nothing, then reads every record of the log once to find
 * damaged ones ({@link LogDamage}). Throws `PositionMismatchError` if the database and the log
 * describe different histories, `OwnerLockError` if another process has either, a `SqliteError`
 * `SQLITE_NOTADB` naming the file if it is not a database. A failed open removes the log
 * directory if it made it, so a refused file leaves nothing behind.
 *
 * @example
 * const primary = await PrimaryDatabase.open({ path, logDir });
 * primary.db.exec('INSERT INTO t VALUES (1)');
 * primary.position().txid; // 1n
 */
export class PrimaryDatabase {
  /** The database file. */
  readonly path: string;
  /** The writer connection: run everything on it, one thing at a time. */
  readonly db: Database;
  /** The transaction log (read it for replicas; never append to it). */
  readonly log: TransactionLog;
  /** The database identity in every record. */
  readonly dbId: string;
  /** How many log records were applied to the file at startup to bring it level. */
  readonly recovered: number;
  /** The log's damaged records, found at startup (every record is verified) or when read since. */
  readonly logDamage: LogDamage;
  readonly #capture: WalCapture;
  readonly #stopObserving: () => void;
  readonly #listeners: Set<(record: TxRecord) => void>;
  #closed = false;

  private constructor(
    path: string,
    db: Database,
    log: TransactionLog,
    dbId: string,
    recovered: number,
    logDamage: LogDamage,
    capture: WalCapture,
    stop: () => void,
    listeners: Set<(record: TxRecord) => void>,
  ) {
    this.#listeners = listeners;
    this.logDamage = logDamage;
    this.path = path;
    this.db = db;
    this.log = log;
    this.dbId = dbId;
    this.recovered = recovered;
    this.#capture = capture;
    this.#stopObserving = stop;
  }

  /** Opens the database and its log (see the class). */
  static async open(options: PrimaryDatabaseOptions): Promise<PrimaryDatabase> {
    const madeLogDir = !fs.existsSync(options.logDir);
    const log = openLog(options.logDir, options.logSegmentBytes);
    let stop: (() => void) | undefined;
    let db: Database | undefined;
    try {
      const dbId = loadDbId(log.dir, log.dbId ?? options.startAt?.dbId);
      const recovered = await levelWithLog(options.path, log);
      const warn = options.warn ?? ((message: string) => console.warn(`wasmlite primary ${options.path}: ${message}`));
      const logDamage = new LogDamage(log, warn);
      logDamage.scan();
      const listeners = new Set<(record: TxRecord) => void>();
      const capture = new WalCapture({
        dbId,
        epoch: options.epoch ?? 1n,
        sink: (record) => {
          log.append(record);
          // Told after the commit returns: a listener reading the log then sees a committed record.
          queueMicrotask(() => {
            for (const listener of listeners) listener(record);
          });
        },
      });
      stop = defaultVfs(await loadEngine()).observe(options.path, capture);
      db = await open(options.path, { journalMode: 'wal' });
      db.pragma('synchronous = FULL');
      capture.start(db, log.lastPosition() ?? options.startAt?.position);
      return new PrimaryDatabase(options.path, db, log, dbId, recovered, logDamage, capture, stop, listeners);
    } catch (error) {
      db?.close();
      stop?.();
      log.close();
      // Nothing was committed yet, so the directory holds only what this open wrote (the dbid).
      if (madeLogDir) fs.rmSync(options.logDir, { recursive: true, force: true });
      if (error instanceof SqliteError && error.code === 'SQLITE_NOTADB') {
        throw new SqliteError(`${options.path} is not a database: ${error.message}`, error.code, error.rawCode, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * The position after the last committed transaction.
   *
   * @example
   * primary.position().toString(); // '0000000000000003/…'
   */
  position(): Position {
    return this.#capture.position!;
  }

  /** Why the capture stopped, if it did: every write then fails until the primary restarts. */
  get failure(): Error | undefined {
    return this.#capture.failure;
  }

  /**
   * Calls `listener` with each record once its transaction has committed; returns a function
   * that stops it.
   *
   * @example
   * const stop = primary.onRecord((record) => push(record.txid));
   */
  onRecord(listener: (record: TxRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes the connection, detaches the capture and closes the log. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.db.close();
    } finally {
      this.#stopObserving();
      this.log.close();
    }
  }
}

/** Opens the log; damage that keeps it from opening is thrown with how to recover from it. */
function openLog(dir: string, segmentSize: number | undefined): TransactionLog {
  try {
    // The database holds every transaction: damage in old segments costs lagging replicas a snapshot, not the primary its start.
    return TransactionLog.open(dir, { setAsideDamage: true, ...(segmentSize === undefined ? {} : { segmentSize }) });
  } catch (error) {
    if (!(error instanceof LogCorruptionError)) throw error;
    throw withRecoveryHint(error, dir);
  }
}
