import fs from 'node:fs';
import { SqliteError } from '../../core/index.ts';
import { LogCorruptionError, TransactionLog, TxRecord, type Position } from '../log/index.ts';
import { loadDbId } from './db-id-file.ts';
import { IdempotencyIndex } from './idempotency-index.ts';
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
  /**
   * Where an empty log starts: the position and database identity of a replica promoted to
   * primary (its records continue that history). Ignored when the log has records.
   */
  readonly startAt?: { readonly position: Position; readonly dbId: string };
}

/**
 * The primary's log side, on the server's thread: the transaction log (appended to by
 * {@link append}, read for replicas), the database identity, the damage found in the log, and
 * the position after the last commit. The database file itself is opened only by the engine
 * worker (`WriterEngine`), whose capture hands each commit's record here before the commit
 * returns; {@link onRecord} listeners hear of it right after.
 *
 * Opening brings the database level with the log first (see `levelWithLog`; the file is closed
 * again before the engine opens it), so a crash between a log append and the WAL commit loses
 * nothing, then reads every record of the log once to find damaged ones ({@link LogDamage}).
 * Throws `PositionMismatchError` if the database and the log describe different histories,
 * `OwnerLockError` if another process has the log. A failed open removes the log directory if it
 * made it ({@link discard} does the same for a failure after it), so a refused file leaves
 * nothing behind.
 *
 * @example
 * const primary = await PrimaryDatabase.open({ path, logDir });
 * primary.started(await engineStartPosition);
 * primary.append(recordBytes); // from the engine's capture
 */
export class PrimaryDatabase {
  /** The database file. */
  readonly path: string;
  /** The transaction log (read it for replicas; appends come through {@link append}). */
  readonly log: TransactionLog;
  /** The database identity in every record. */
  readonly dbId: string;
  /** How many log records were applied to the file at startup to bring it level. */
  readonly recovered: number;
  /**
   * Where the engine's capture starts: the log's last position, or, for an empty log, the
   * `startAt` position of a promoted replica (`undefined`: the database's own, for a new history).
   */
  readonly startPosition: Position | undefined;
  /** The log's damaged records, found at startup (every record is verified) or when read since. */
  readonly logDamage: LogDamage;
  /** The idempotency keys of the writes the retained log holds (built at startup, kept by {@link append}). */
  readonly keys: IdempotencyIndex;
  readonly #listeners = new Set<(record: TxRecord) => void>();
  /** Records appended whose commit the engine has not yet answered for (see {@link announce}). */
  readonly #unannounced: TxRecord[] = [];
  readonly #madeLogDir: boolean;
  #position: Position | undefined;
  #failure: Error | undefined;
  #closed = false;

  private constructor(
    path: string,
    log: TransactionLog,
    dbId: string,
    recovered: number,
    logDamage: LogDamage,
    keys: IdempotencyIndex,
    madeLogDir: boolean,
    startPosition: Position | undefined,
  ) {
    this.path = path;
    this.log = log;
    this.dbId = dbId;
    this.recovered = recovered;
    this.logDamage = logDamage;
    this.keys = keys;
    this.#madeLogDir = madeLogDir;
    this.startPosition = startPosition;
  }

  /** Opens the log and brings the database level with it (see the class). */
  static async open(options: PrimaryDatabaseOptions): Promise<PrimaryDatabase> {
    const madeLogDir = !fs.existsSync(options.logDir);
    const log = openLog(options.logDir, options.logSegmentBytes);
    try {
      const dbId = loadDbId(log.dir, log.dbId ?? options.startAt?.dbId);
      const recovered = await levelWithLog(options.path, log);
      const warn = options.warn ?? ((message: string) => console.warn(`wasmlite primary ${options.path}: ${message}`));
      const logDamage = new LogDamage(log, warn);
      const keys = new IdempotencyIndex(log);
      logDamage.scan((record) => keys.note(record));
      return new PrimaryDatabase(
        options.path,
        log,
        dbId,
        recovered,
        logDamage,
        keys,
        madeLogDir,
        log.lastPosition() ?? options.startAt?.position,
      );
    } catch (error) {
      log.close();
      // Nothing was committed yet, so the directory holds only what this open wrote (the dbid).
      if (madeLogDir) fs.rmSync(options.logDir, { recursive: true, force: true });
      throw notADatabase(error, options.path);
    }
  }

  /**
   * Sets the position the engine started from (the log's last, or txid 0 and the file's checksum).
   *
   * @example
   * primary.started(new Position(0n, checksum));
   */
  started(position: Position): void {
    this.#position = position;
  }

  /**
   * Appends a commit's encoded record to the log, durably (`TransactionLog.appendEncoded`), and
   * tells the {@link onRecord} listeners once the current task is done. Its idempotency key, if it
   * has one, is in {@link keys} when this returns. The engine's commit may
   * still be finishing in its worker then; listeners read only the log, which is the history
   * (a commit that failed after its append is brought level at the next start). Throws what the
   * log throws; the commit is then refused.
   *
   * @example
   * primary.append(TxRecord.encode(record)); // the position after it
   */
  append(bytes: Uint8Array): Position {
    const position = this.log.appendEncoded(bytes);
    this.#position = position;
    const record = TxRecord.decode(bytes);
    this.keys.note(record);
    if (this.#listeners.size > 0) this.#unannounced.push(record);
    return position;
  }

  /**
   * Tells the {@link onRecord} listeners of the records appended since the last call: the engine
   * calls it once its commit has returned, as it answers the request that committed.
   *
   * @example
   * primary.announce(); // log streams push the new records now
   */
  announce(): void {
    if (this.#unannounced.length === 0) return;
    const records = this.#unannounced.splice(0);
    for (const record of records) for (const listener of this.#listeners) listener(record);
  }

  /**
   * The position after the last committed transaction.
   *
   * @example
   * primary.position().toString(); // '0000000000000003/…'
   */
  position(): Position {
    return this.#position!;
  }

  /** Why the capture stopped, if it did: every write then fails until the primary restarts. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Notes that the engine's capture stopped (see {@link failure}). */
  failed(error: Error): void {
    this.#failure ??= error;
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

  /** Closes the log. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.log.close();
  }

  /**
   * Closes the log and, when the engine could not start and nothing was committed, removes the
   * log directory this open made; returns `error` as the caller should throw it.
   */
  discard(error: unknown): unknown {
    const empty = this.#closed || this.log.lastPosition() === undefined;
    this.close();
    if (this.#madeLogDir && empty) fs.rmSync(this.log.dir, { recursive: true, force: true });
    return notADatabase(error, this.path);
  }
}

/** SQLite's `SQLITE_NOTADB`, reworded to name the file; any other error unchanged. */
function notADatabase(error: unknown, path: string): unknown {
  if (error instanceof SqliteError && error.code === 'SQLITE_NOTADB' && !error.message.startsWith(path)) {
    return new SqliteError(`${path} is not a database: ${error.message}`, error.code, error.rawCode, { cause: error });
  }
  return error;
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
