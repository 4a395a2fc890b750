import { open } from '../../core/index.ts';
import { RequestError } from './request-error.ts';
import { StatementExecutor, type ExecutorLimits } from './statement-executor.ts';

/** Idle connections kept for the next read transaction; more are closed when returned. */
const IDLE_KEPT = 4;

/**
 * A read-only connection lent to one read transaction; `release()` gives it back (idempotent).
 *
 * @example
 * const lease = await reads.lease();
 * try { lease.executor.begin('read'); … } finally { lease.release(); }
 */
export interface ReadLease {
  readonly executor: StatementExecutor;
  release(): void;
}

/**
 * The primary's read-only connections (`readonly: true`, SQLITE_OPEN_READONLY), on which
 * everything a read token sends runs, and every interactive `read` transaction whoever began it:
 * the writer connection never sees a read token's SQL, so nothing it sends can change the
 * writer's state, and in WAL a reader does not block the writer (nor the writer a reader). Each
 * runs remote SQL under the `RemoteSqlPolicy` (see {@link StatementExecutor}).
 *
 * {@link shared} serves single statements and batches (synchronous, so one connection is enough);
 * a read transaction leases a connection of its own ({@link lease}), at most `maxLeases` at once
 * (then a {@link RequestError} `TOO_MANY_TRANSACTIONS`). Each runs under the same
 * {@link ExecutorLimits} as the writer: a read token's answers and statements are bounded too.
 *
 * @example
 * const reads = new ReadConnections(primary.path, 64);
 * (await reads.shared()).execute({ sql: 'SELECT count(*) FROM t' }, 'read');
 */
export class ReadConnections {
  readonly #path: string;
  readonly #maxLeases: number;
  readonly #limits: ExecutorLimits;
  readonly #stopping: (() => boolean) | undefined;
  readonly #idle: StatementExecutor[] = [];
  readonly #all = new Set<StatementExecutor>();
  #shared: Promise<StatementExecutor> | undefined;
  #leased = 0;
  #closed = false;

  constructor(path: string, maxLeases: number, limits: ExecutorLimits = {}, stopping?: () => boolean) {
    this.#stopping = stopping;
    this.#path = path;
    this.#maxLeases = maxLeases;
    this.#limits = limits;
  }

  /**
   * The connection for single statements and batches, opened on first use.
   *
   * @example
   * (await reads.shared()).batch(inputs, 'read', 'read');
   */
  shared(): Promise<StatementExecutor> {
    this.#checkOpen();
    return (this.#shared ??= this.#open().catch((error: unknown) => {
      this.#shared = undefined;
      throw error;
    }));
  }

  /**
   * A connection for one read transaction, until its `release()`.
   *
   * @example
   * const { executor, release } = await reads.lease();
   */
  async lease(): Promise<ReadLease> {
    this.#checkOpen();
    if (this.#leased >= this.#maxLeases) {
      throw new RequestError(
        'TOO_MANY_TRANSACTIONS',
        `${this.#maxLeases} read transactions are open: commit or roll one back first`,
      );
    }
    this.#leased++;
    let executor: StatementExecutor;
    try {
      executor = this.#idle.pop() ?? (await this.#open());
    } catch (error) {
      this.#leased--;
      throw error;
    }
    let released = false;
    return {
      executor,
      release: () => {
        if (released) return;
        released = true;
        this.#leased--;
        if (!this.#closed && this.#idle.length < IDLE_KEPT && !executor.inTransaction) this.#idle.push(executor);
        else this.#close(executor);
      },
    };
  }

  /** Closes every connection (a transaction still on one is rolled back) and refuses new uses. */
  close(): void {
    this.#closed = true;
    for (const executor of this.#all) this.#close(executor);
    this.#idle.length = 0;
    this.#shared = undefined;
  }

  #checkOpen(): void {
    if (this.#closed) throw new RequestError('CLOSING', 'the primary is shutting down');
  }

  async #open(): Promise<StatementExecutor> {
    const db = await open(this.#path, { readonly: true, fileMustExist: true });
    if (this.#closed) {
      db.close();
      throw new RequestError('CLOSING', 'the primary is shutting down');
    }
    const executor = new StatementExecutor(db, this.#limits, this.#stopping);
    this.#all.add(executor);
    return executor;
  }

  #close(executor: StatementExecutor): void {
    this.#all.delete(executor);
    try {
      executor.close();
    } catch {
      // A connection that cannot close cleanly is dropped all the same.
    }
  }
}
