import { open, type Database } from '../../core/index.ts';
import { loadEngine } from '../../core/sqlite3/engine.ts';
import { splitStatements } from '../../core/sqlite3/split-statements.ts';
import { defaultVfs } from '../../core/vfs/index.ts';
import { WalCapture } from '../capture/index.ts';
import { MAX_RESULT_LENGTH, type Position, type TxMeta, type TxRecord } from '../log/index.ts';
import { ReadConnections } from './read-connections.ts';
import { RequestError } from './request-error.ts';
import {
  StatementExecutor,
  type Access,
  type BatchMode,
  type ExecutorLimits,
  type Seal,
  type StatementInput,
  type StatementResult,
} from './statement-executor.ts';
import { TransactionRegistry } from './transaction-registry.ts';
import { WriterLock } from './writer-lock.ts';

/** Read transactions open at once, each on a read-only connection of its own. */
const MAX_READ_TRANSACTIONS = 64;
/** Pages read for a snapshot at a time (1 MiB at 4 KiB pages). */
const CHUNK_PAGES = 256;

/**
 * Options of {@link WriterEngine.open}.
 *
 * @example
 * await WriterEngine.open({ path, dbId, epoch: 1n, start: log.lastPosition(), sink, transactionTimeoutMs: 5000 });
 */
export interface WriterEngineOptions extends ExecutorLimits {
  /** The database file. */
  readonly path: string;
  /** The database identity stamped into every record. */
  readonly dbId: string;
  /** The epoch stamped into every record. */
  readonly epoch: bigint;
  /** The log's last position (the database is level with it), `undefined` for an empty log. */
  readonly start: Position | undefined;
  /** Makes a commit's record durable before the commit returns (appends it to the log); throws to refuse it. */
  readonly sink: (record: TxRecord) => void;
  /** An interactive transaction idle this long, in ms, is rolled back. */
  readonly transactionTimeoutMs: number;
  /** Whether the statement under way must stop now (the primary is closing); checked with the deadline. */
  readonly stopping?: () => boolean;
}

/** What a request that may write answers: its result, the txid before it and the position after it. */
export interface Measured<T> {
  readonly result: T;
  readonly before: bigint;
  readonly after: Position;
}

/**
 * A write request's idempotency key (as recorded, `recordedIdempotencyKey`) and how its answer is
 * encoded: both go into the log record its commit makes, so that a retry is answered from there.
 *
 * @example
 * const keyed: Keyed<StatementResult> = { key, encode: (result) => encoder.encode(JSON.stringify(toJson(result))) };
 */
export interface Keyed<T> {
  readonly key: string;
  /** The answer's JSON, as sent; kept only up to `MAX_RESULT_LENGTH` bytes (the key alone beyond). */
  readonly encode: (result: T) => Uint8Array;
}

/** A snapshot being read: see {@link WriterEngine.beginSnapshot}. */
export interface SnapshotStart {
  readonly id: number;
  readonly position: Position;
  readonly pageCount: number;
  readonly pageSize: number;
}

interface OpenSnapshot {
  readonly reader: Database;
  readonly rows: IterableIterator<[number, Uint8Array]>;
  readonly pageCount: number;
  next: number;
}

/**
 * Everything of the primary that opens its database file, in one JS realm (the primary's engine
 * worker: the VFS's lock table and wal-index live per realm): the writer connection in WAL mode at
 * `synchronous=FULL` with its {@link WalCapture}, whose records go to `sink` (the log) before
 * each commit returns; the {@link WriterLock}; the interactive transactions; the read-only
 * connections that run a read token's SQL; and snapshots. Requests run one at a time on the
 * writer (they are synchronous), each under the {@link ExecutorLimits}.
 *
 * Failures are those of {@link StatementExecutor} and {@link TransactionRegistry}
 * (`RequestError`s with codes, `SqliteError`s); {@link close} refuses what comes after with
 * `CLOSING`.
 *
 * @example
 * const sink = (record: TxRecord) => log.append(record);
 * const engine = await WriterEngine.open({ path, dbId, epoch: 1n, start, sink, transactionTimeoutMs: 5000 });
 * engine.execute({ sql: 'INSERT INTO t VALUES (1)' }, 'write');
 */
export class WriterEngine {
  readonly #path: string;
  readonly #db: Database;
  readonly #capture: WalCapture;
  readonly #stopObserving: () => void;
  readonly #executor: StatementExecutor;
  readonly #lock = new WriterLock();
  readonly #reads: ReadConnections;
  readonly #transactions: TransactionRegistry;
  readonly #snapshots = new Map<number, OpenSnapshot>();
  #nextSnapshot = 1;
  #running = 0;

  private constructor(path: string, db: Database, capture: WalCapture, stop: () => void, options: WriterEngineOptions) {
    this.#path = path;
    this.#db = db;
    this.#capture = capture;
    this.#stopObserving = stop;
    this.#executor = new StatementExecutor(db, options, options.stopping);
    this.#reads = new ReadConnections(path, MAX_READ_TRANSACTIONS, options, options.stopping);
    this.#transactions = new TransactionRegistry(this.#executor, this.#lock, this.#reads, options.transactionTimeoutMs);
  }

  /** Opens the writer connection and starts the capture from `start` (see the class). */
  static async open(options: WriterEngineOptions): Promise<WriterEngine> {
    const capture = new WalCapture({ dbId: options.dbId, epoch: options.epoch, sink: options.sink });
    const stop = defaultVfs(await loadEngine()).observe(options.path, capture);
    let db: Database | undefined;
    try {
      db = await open(options.path, { journalMode: 'wal' });
      db.pragma('synchronous = FULL');
      capture.start(db, options.start);
      return new WriterEngine(options.path, db, capture, stop, options);
    } catch (error) {
      db?.close();
      stop();
      throw error;
    }
  }

  /**
   * The tag of the request whose SQL is running now (the `tag` given to the method that runs
   * it), 0 when none is: `stopping` can interrupt one request, e.g. when its client has gone.
   */
  get running(): number {
    return this.#running;
  }

  /** The position after the last committed transaction. */
  position(): Position {
    return this.#capture.position!;
  }

  /** Why the capture stopped, if it did: every write then fails until the primary restarts. */
  get failure(): Error | undefined {
    return this.#capture.failure;
  }

  /**
   * Runs one statement: a read access on a read-only connection, a write one on the writer once
   * the lock is free. With `keyed`, a write's record carries its key and answer ({@link Keyed}).
   *
   * @example
   * (await engine.execute({ sql: 'SELECT 1' }, 'read')).result.rows; // [[1n]]
   */
  async execute(
    input: StatementInput,
    access: Access,
    tag = 0,
    keyed?: Keyed<StatementResult>,
  ): Promise<Measured<StatementResult>> {
    if (access === 'read') {
      const reader = await this.#reads.shared();
      return this.#measured(tag, () => reader.execute(input, access));
    }
    const seal = this.#seal(keyed);
    return this.#lock.run(() => this.#measured(tag, () => this.#executor.execute(input, access, seal)));
  }

  /**
   * Runs statements in one transaction (see `StatementExecutor.batch`); `keyed` as in {@link execute}.
   * A read token's batch, and a batch in read mode, run on a read-only connection: there SQLite
   * itself fails a statement that writes with SQLITE_READONLY, as a local client's read batch does,
   * instead of the writer keeping it.
   */
  async batch(
    inputs: readonly StatementInput[],
    access: Access,
    mode: BatchMode,
    tag = 0,
    keyed?: Keyed<StatementResult[]>,
  ): Promise<Measured<StatementResult[]>> {
    if (access === 'read' || mode === 'read') {
      const reader = await this.#reads.shared();
      return this.#measured(tag, () => reader.batch(inputs, access, mode));
    }
    const seal = this.#seal(keyed);
    return this.#lock.run(() => this.#measured(tag, () => this.#executor.batch(inputs, access, mode, seal)));
  }

  /** The commit that attaches `keyed`'s key and encoded answer to the record (none without `keyed`). */
  #seal<T>(keyed: Keyed<T> | undefined): Seal<T> | undefined {
    if (keyed === undefined) return undefined;
    return (result, commit) => {
      const encoded = keyed.encode(result);
      const meta: TxMeta =
        encoded.length <= MAX_RESULT_LENGTH
          ? { idempotencyKey: keyed.key, result: encoded }
          : { idempotencyKey: keyed.key };
      this.#capture.withMeta(meta, commit);
    };
  }

  /** Runs a script (split here, as `sqlite3_exec` would) on the writer (see `StatementExecutor.script`). */
  async script(sql: string, tag = 0): Promise<Measured<void>> {
    const statements = splitStatements(await loadEngine(), sql);
    return this.#lock.run(() => this.#measured(tag, () => this.#executor.script(statements)));
  }

  /** Begins an interactive transaction for `owner`; resolves with its id (see `TransactionRegistry.begin`). */
  begin(mode: BatchMode, access: Access, foreignKeys: boolean | undefined, owner: string): Promise<string> {
    return this.#transactions.begin(mode, access, foreignKeys, owner);
  }

  /** Runs one statement in `owner`'s transaction `id`; `open` says whether it is still open after. */
  executeIn(id: string, owner: string, input: StatementInput, tag = 0): { result: StatementResult; open: boolean } {
    const result = this.#tagged(tag, () => this.#transactions.execute(id, owner, input));
    return { result, open: this.#transactions.isOpen(id) };
  }

  /** Runs statements in `owner`'s transaction `id`. */
  batchIn(id: string, owner: string, inputs: readonly StatementInput[], tag = 0): StatementResult[] {
    return this.#tagged(tag, () => this.#transactions.batch(id, owner, inputs));
  }

  /**
   * Commits `owner`'s transaction `id` (a write one holds the writer: nothing else commits around
   * it); `keyed` as in {@link execute}.
   */
  commit(id: string, owner: string, tag = 0, keyed?: Keyed<void>): Measured<void> {
    const seal = this.#seal(keyed);
    return this.#measured(tag, () => this.#transactions.commit(id, owner, seal));
  }

  /** Rolls `owner`'s transaction `id` back. */
  rollback(id: string, owner: string): void {
    this.#transactions.rollback(id, owner);
  }

  /**
   * Begins a snapshot: a read transaction on a connection of its own, begun between two writes
   * (under the writer lock, so it and the position agree). Its pages are then read in chunks
   * ({@link readSnapshot}) while writes go on; WAL keeps the reader's snapshot intact until
   * {@link endSnapshot}.
   */
  async beginSnapshot(): Promise<SnapshotStart> {
    const reader = await open(this.#path, { readonly: true });
    try {
      const release = await this.#lock.acquire();
      let position: Position;
      let pageCount: number;
      let pageSize: number;
      try {
        reader.exec('BEGIN');
        // The first read fixes the transaction's snapshot: the database as of the last commit.
        pageCount = Number(reader.pragma('page_count', { simple: true }));
        pageSize = Number(reader.pragma('page_size', { simple: true }));
        position = this.position();
      } finally {
        release();
      }
      // One pass over sqlite_dbpage: a range query per chunk would scan it from the start each time.
      const rows = reader.prepare('SELECT pgno, data FROM sqlite_dbpage').raw().iterate() as IterableIterator<
        [number, Uint8Array]
      >;
      const id = this.#nextSnapshot++;
      this.#snapshots.set(id, { reader, rows, pageCount, next: 1 });
      return { id, position, pageCount, pageSize };
    } catch (error) {
      reader.close();
      throw error;
    }
  }

  /**
   * The next chunk of snapshot `id`'s pages (one buffer of its own), and whether it was the last:
   * the snapshot is then ended ({@link endSnapshot}).
   */
  readSnapshot(id: number): { chunk: Uint8Array; done: boolean } {
    const snapshot = this.#snapshots.get(id);
    if (snapshot === undefined) throw new RequestError('NOT_FOUND', `no snapshot ${id}`);
    const pages: Uint8Array[] = [];
    for (let n = 0; n < CHUNK_PAGES && snapshot.next <= snapshot.pageCount; n++, snapshot.next++) {
      const row = snapshot.rows.next();
      if (row.done === true || row.value[0] !== snapshot.next) {
        const got = row.done === true ? 'no page' : `page ${row.value[0]}`;
        throw new Error(`sqlite_dbpage returned ${got} where page ${snapshot.next} was due`);
      }
      pages.push(row.value[1]);
    }
    const chunk = new Uint8Array(pages.reduce((sum, page) => sum + page.length, 0));
    let at = 0;
    for (const page of pages) {
      chunk.set(page, at);
      at += page.length;
    }
    const done = snapshot.next > snapshot.pageCount;
    if (done) this.endSnapshot(id);
    return { chunk, done };
  }

  /** Ends snapshot `id` (its read transaction and connection); unknown ids are ignored. */
  endSnapshot(id: number): void {
    const snapshot = this.#snapshots.get(id);
    if (snapshot === undefined) return;
    this.#snapshots.delete(id);
    try {
      snapshot.rows.return?.();
      if (snapshot.reader.inTransaction) snapshot.reader.exec('COMMIT');
    } finally {
      snapshot.reader.close();
    }
  }

  /** Rolls back open transactions, closes every connection and detaches the capture. */
  close(): void {
    this.#transactions.close();
    this.#reads.close();
    for (const id of [...this.#snapshots.keys()]) {
      try {
        this.endSnapshot(id);
      } catch {
        // Closing regardless.
      }
    }
    try {
      this.#db.close();
    } finally {
      this.#stopObserving();
    }
  }

  /** Runs `work` as request `tag` and returns its result with the txid before it and the position after it. */
  #measured<T>(tag: number, work: () => T): Measured<T> {
    const before = this.position().txid;
    const result = this.#tagged(tag, work);
    return { result, before, after: this.position() };
  }

  /** Runs `work` (synchronous SQL) as request `tag`: see {@link running}. */
  #tagged<T>(tag: number, work: () => T): T {
    this.#running = tag;
    try {
      return work();
    } finally {
      this.#running = 0;
    }
  }
}
