import { randomUUID } from 'node:crypto';
import type { ReadConnections } from './read-connections.ts';
import { RequestError } from './request-error.ts';
import type {
  Access,
  BatchMode,
  Seal,
  StatementExecutor,
  StatementInput,
  StatementResult,
} from './statement-executor.ts';
import type { WriterLock } from './writer-lock.ts';

/** How many timed-out ids are remembered, to refuse them as `TRANSACTION_EXPIRED`, not `TRANSACTION_NOT_FOUND`. */
const EXPIRED_KEPT = 1024;

interface OpenTransaction {
  readonly id: string;
  /** Who began it (see `TokenAuth.holder`): nobody else may use it. */
  readonly owner: string;
  readonly access: Access;
  /** The connection it runs on: the writer's, or a read-only one of its own. */
  readonly executor: StatementExecutor;
  readonly release: () => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The primary's interactive transactions (`/v1/transactions`). A `write` or `deferred` one runs on
 * the writer connection and holds the {@link WriterLock} from `BEGIN` to its end, so at most one
 * is open and every other request that needs the writer waits behind it. A `read` one runs on a
 * read-only connection of its own (`ReadConnections.lease`), takes no lock and blocks no write:
 * in WAL it keeps its snapshot while writes commit. One idle for `timeoutMs` (no request on it)
 * is rolled back and its connection (and the lock) passes on.
 *
 * A transaction belongs to the token that began it (its `owner`): the id used with any other
 * token is answered as if it did not exist (`TRANSACTION_NOT_FOUND`), so knowing an id is not enough to use, commit
 * or roll back someone else's transaction.
 *
 * Failures are {@link RequestError}s: `READ_ONLY_TOKEN` for a read access opening anything
 * but a `read` transaction, `TRANSACTION_NOT_FOUND` for an id that is unknown, already
 * committed or rolled back, or another token's, `TRANSACTION_EXPIRED` for one of the caller's
 * rolled back by the timeout, `TOO_MANY_TRANSACTIONS` past the read connections' limit,
 * `CLOSING` once closed. A statement's failure leaves the transaction open (unless SQLite rolled
 * it back itself, which ends it); a failed commit rolls it back and ends it.
 *
 * @example
 * const id = await registry.begin('write', 'write', undefined, owner);
 * registry.execute(id, owner, { sql: 'INSERT INTO t VALUES (1)' });
 * registry.commit(id, owner);
 */
export class TransactionRegistry {
  readonly #writer: StatementExecutor;
  readonly #lock: WriterLock;
  readonly #reads: ReadConnections;
  readonly #timeoutMs: number;
  /** Ids rolled back by the timeout, with their owners. */
  readonly #expired = new Map<string, string>();
  readonly #open = new Map<string, OpenTransaction>();
  #closed = false;

  constructor(writer: StatementExecutor, lock: WriterLock, reads: ReadConnections, timeoutMs: number) {
    this.#writer = writer;
    this.#lock = lock;
    this.#reads = reads;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Begins a transaction for `owner` and resolves with its id: a `read` one on a read-only
   * connection of its own, any other on the writer once it is free.
   *
   * @example
   * const id = await registry.begin('deferred', 'write', undefined, owner);
   */
  async begin(mode: BatchMode, access: Access, foreignKeys: boolean | undefined, owner: string): Promise<string> {
    if (access === 'read' && mode !== 'read')
      throw new RequestError('READ_ONLY_TOKEN', 'a read token can only open a read transaction');
    this.#checkOpen();
    const { executor, release } =
      mode === 'read' ? await this.#reads.lease() : { executor: this.#writer, release: await this.#lock.acquire() };
    try {
      this.#checkOpen();
      executor.begin(mode, foreignKeys);
    } catch (error) {
      release();
      throw error;
    }
    const tx: OpenTransaction = {
      id: randomUUID(),
      owner,
      access: mode === 'read' ? 'read' : access,
      executor,
      release,
      timer: undefined,
    };
    this.#open.set(tx.id, tx);
    this.#arm(tx);
    return tx.id;
  }

  /** Whether transaction `id` is open (a statement in it may have ended it). */
  isOpen(id: string): boolean {
    return this.#open.has(id);
  }

  /**
   * Runs one statement in `owner`'s transaction `id`.
   *
   * @example
   * registry.execute(id, owner, { sql: 'SELECT count(*) FROM t' }).rows;
   */
  execute(id: string, owner: string, input: StatementInput): StatementResult {
    return this.#use(id, owner, (tx) => tx.executor.executeIn(input, tx.access));
  }

  /**
   * Runs statements in `owner`'s transaction `id`: all of them stay, or (on the first failure) none.
   *
   * @example
   * registry.batch(id, owner, [{ sql: 'INSERT INTO t VALUES (2)' }, { sql: 'INSERT INTO t VALUES (3)' }]);
   */
  batch(id: string, owner: string, inputs: readonly StatementInput[]): StatementResult[] {
    return this.#use(id, owner, (tx) => tx.executor.batchIn(inputs, tx.access));
  }

  /**
   * Commits `owner`'s transaction `id` and ends it (also when the commit fails: it is then rolled
   * back). With `seal`, `seal` makes the commit (`StatementExecutor.commit`).
   *
   * @example
   * registry.commit(id, owner); // then read the primary's position
   */
  commit(id: string, owner: string, seal?: Seal<void>): void {
    const tx = this.#take(id, owner);
    try {
      tx.executor.commit(seal);
    } finally {
      this.#end(tx);
    }
  }

  /**
   * Rolls `owner`'s transaction `id` back and ends it.
   *
   * @example
   * registry.rollback(id, owner);
   */
  rollback(id: string, owner: string): void {
    const tx = this.#take(id, owner);
    try {
      tx.executor.rollback();
    } finally {
      this.#end(tx);
    }
  }

  /** Rolls back every open transaction and refuses new ones. Calling it again does nothing. */
  close(): void {
    this.#closed = true;
    for (const tx of [...this.#open.values()]) {
      try {
        tx.executor.rollback();
      } catch {
        // The connection is unusable; it is let go all the same.
      } finally {
        this.#end(tx);
      }
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new RequestError('CLOSING', 'the primary is shutting down');
  }

  #use<T>(id: string, owner: string, fn: (tx: OpenTransaction) => T): T {
    const tx = this.#take(id, owner);
    try {
      return fn(tx);
    } finally {
      // SQLite may have rolled the transaction back itself (e.g. on SQLITE_FULL): then it is over.
      if (tx.executor.inTransaction) this.#arm(tx);
      else this.#end(tx);
    }
  }

  /** `owner`'s open transaction `id`, its idle timer stopped; the typed error if there is none. */
  #take(id: string, owner: string): OpenTransaction {
    const tx = this.#open.get(id);
    if (tx !== undefined && tx.owner === owner) {
      clearTimeout(tx.timer);
      return tx;
    }
    if (tx === undefined && this.#expired.get(id) === owner) {
      throw new RequestError(
        'TRANSACTION_EXPIRED',
        `transaction ${id} was rolled back after ${this.#timeoutMs} ms idle`,
      );
    }
    // Another token's transaction is answered as one that does not exist: its id says nothing.
    throw new RequestError('TRANSACTION_NOT_FOUND', `no open transaction ${id}`);
  }

  #arm(tx: OpenTransaction): void {
    clearTimeout(tx.timer);
    tx.timer = setTimeout(() => this.#expire(tx), this.#timeoutMs);
    // An abandoned transaction must not keep the process alive.
    tx.timer.unref();
  }

  #expire(tx: OpenTransaction): void {
    if (this.#open.get(tx.id) !== tx) return;
    this.#expired.set(tx.id, tx.owner);
    if (this.#expired.size > EXPIRED_KEPT) this.#expired.delete(this.#expired.keys().next().value!);
    try {
      tx.executor.rollback();
    } catch {
      // The connection is unusable; the requests behind it will get that error themselves.
    } finally {
      this.#end(tx);
    }
  }

  #end(tx: OpenTransaction): void {
    clearTimeout(tx.timer);
    try {
      tx.executor.settle();
    } catch {
      // The connection is unusable; the requests behind it will get that error themselves.
    }
    if (this.#open.get(tx.id) === tx) this.#open.delete(tx.id);
    tx.release();
  }
}
