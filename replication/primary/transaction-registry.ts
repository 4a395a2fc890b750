import { randomUUID } from 'node:crypto';
import { RequestError } from './request-error.ts';
import type { Access, BatchMode, StatementExecutor, StatementInput, StatementResult } from './statement-executor.ts';
import type { WriterLock } from './writer-lock.ts';

/** How many timed-out ids are remembered, to answer 410 rather than 404 for them. */
const EXPIRED_KEPT = 1024;

interface OpenTransaction {
  readonly id: string;
  readonly access: Access;
  readonly release: () => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The primary's interactive transactions (`/v1/transactions`): at most one is open, on the
 * writer connection, and it holds the {@link WriterLock} from `BEGIN` to its end, so every other
 * request waits behind it. One idle for `timeoutMs` (no request on it) is rolled back and the
 * lock passes on.
 *
 * Failures are {@link RequestError}s: 403 `READ_ONLY_TOKEN` for a read access opening anything
 * but a `read` transaction, 404 `TRANSACTION_NOT_FOUND` for an id that is unknown or already
 * committed or rolled back, 410 `TRANSACTION_EXPIRED` for one rolled back by the timeout, 503
 * `CLOSING` once closed. A statement's failure leaves the transaction open (unless SQLite rolled
 * it back itself, which ends it); a failed commit rolls it back and ends it.
 *
 * @example
 * const id = await registry.begin('write', 'write');
 * registry.execute(id, { sql: 'INSERT INTO t VALUES (1)' });
 * registry.commit(id);
 */
export class TransactionRegistry {
  readonly #executor: StatementExecutor;
  readonly #lock: WriterLock;
  readonly #timeoutMs: number;
  readonly #expired = new Set<string>();
  #open: OpenTransaction | undefined;
  #closed = false;

  constructor(executor: StatementExecutor, lock: WriterLock, timeoutMs: number) {
    this.#executor = executor;
    this.#lock = lock;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Waits for the writer, begins a transaction and resolves with its id.
   *
   * @example
   * const id = await registry.begin('deferred', 'write');
   */
  async begin(mode: BatchMode, access: Access, foreignKeys?: boolean): Promise<string> {
    if (access === 'read' && mode !== 'read') throw new RequestError(403, 'READ_ONLY_TOKEN', 'a read token can only open a read transaction');
    this.#checkOpen();
    const release = await this.#lock.acquire();
    try {
      this.#checkOpen();
      this.#executor.begin(mode, foreignKeys);
    } catch (error) {
      release();
      throw error;
    }
    const tx: OpenTransaction = { id: randomUUID(), access: mode === 'read' ? 'read' : access, release, timer: undefined };
    this.#open = tx;
    this.#arm(tx);
    return tx.id;
  }

  /** Whether transaction `id` is the open one (a statement in it may have ended it). */
  isOpen(id: string): boolean {
    return this.#open?.id === id;
  }

  /**
   * Runs one statement in transaction `id`.
   *
   * @example
   * registry.execute(id, { sql: 'SELECT count(*) FROM t' }).rows;
   */
  execute(id: string, input: StatementInput): StatementResult {
    return this.#use(id, (tx) => this.#executor.executeIn(input, tx.access));
  }

  /**
   * Runs statements in transaction `id`: all of them stay, or (on the first failure) none.
   *
   * @example
   * registry.batch(id, [{ sql: 'INSERT INTO t VALUES (2)' }, { sql: 'INSERT INTO t VALUES (3)' }]);
   */
  batch(id: string, inputs: readonly StatementInput[]): StatementResult[] {
    return this.#use(id, (tx) => this.#executor.batchIn(inputs, tx.access));
  }

  /**
   * Commits transaction `id` and ends it (also when the commit fails: it is then rolled back).
   *
   * @example
   * registry.commit(id); // then read the primary's position
   */
  commit(id: string): void {
    const tx = this.#take(id);
    try {
      this.#executor.commit();
    } finally {
      this.#end(tx);
    }
  }

  /**
   * Rolls transaction `id` back and ends it.
   *
   * @example
   * registry.rollback(id);
   */
  rollback(id: string): void {
    const tx = this.#take(id);
    try {
      this.#executor.rollback();
    } finally {
      this.#end(tx);
    }
  }

  /** Rolls back the open transaction, if any, and refuses new ones. Calling it again does nothing. */
  close(): void {
    this.#closed = true;
    const tx = this.#open;
    if (tx === undefined) return;
    try {
      this.#executor.rollback();
    } finally {
      this.#end(tx);
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new RequestError(503, 'CLOSING', 'the primary is shutting down');
  }

  #use<T>(id: string, fn: (tx: OpenTransaction) => T): T {
    const tx = this.#take(id);
    try {
      return fn(tx);
    } finally {
      // SQLite may have rolled the transaction back itself (e.g. on SQLITE_FULL): then it is over.
      if (this.#executor.inTransaction) this.#arm(tx);
      else this.#end(tx);
    }
  }

  /** The open transaction `id`, its idle timer stopped; the typed error if there is none. */
  #take(id: string): OpenTransaction {
    const tx = this.#open;
    if (tx !== undefined && tx.id === id) {
      clearTimeout(tx.timer);
      return tx;
    }
    if (this.#expired.has(id)) throw new RequestError(410, 'TRANSACTION_EXPIRED', `transaction ${id} was rolled back after ${this.#timeoutMs} ms idle`);
    throw new RequestError(404, 'TRANSACTION_NOT_FOUND', `no open transaction ${id}`);
  }

  #arm(tx: OpenTransaction): void {
    clearTimeout(tx.timer);
    tx.timer = setTimeout(() => this.#expire(tx), this.#timeoutMs);
    // An abandoned transaction must not keep the process alive.
    tx.timer.unref();
  }

  #expire(tx: OpenTransaction): void {
    if (this.#open !== tx) return;
    this.#expired.add(tx.id);
    if (this.#expired.size > EXPIRED_KEPT) this.#expired.delete(this.#expired.values().next().value!);
    try {
      this.#executor.rollback();
    } catch {
      // The connection is unusable; the requests behind it will get that error themselves.
    } finally {
      this.#end(tx);
    }
  }

  #end(tx: OpenTransaction): void {
    clearTimeout(tx.timer);
    try {
      this.#executor.settle();
    } catch {
      // The connection is unusable; the requests behind it will get that error themselves.
    }
    if (this.#open === tx) this.#open = undefined;
    tx.release();
  }
}
