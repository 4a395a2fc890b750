import type { Database } from '../../core/index.ts';
import { SqliteError } from '../../core/index.ts';
import { RequestError } from './request-error.ts';

/**
 * How many virtual machine instructions SQLite runs between two looks at the clock: about
 * 50–100 µs of work, so a timed-out statement stops within a fraction of a millisecond, and a
 * point query (a few dozen instructions) never calls back at all.
 */
const OPS_PER_CHECK = 10_000;

/**
 * Bounds how long one request's SQL may run on a connection. A progress handler installed on the
 * connection (`sqlite3_progress_handler`) compares the clock with the deadline of the request under
 * way; past it, SQLite interrupts the statement (`SQLITE_INTERRUPT`) and rolls back what it wrote
 * as it does for `sqlite3_interrupt`: the statement, and in autocommit mode or for a write inside
 * an explicit transaction, the whole transaction. Since the commit frame is never written, the WAL
 * capture logs nothing. {@link run} turns that interruption into a {@link RequestError}
 * `STATEMENT_TIMEOUT`.
 *
 * The handler only reads the clock: it never yields to the event loop, which would re-enter
 * SQLite from inside a step.
 *
 * @example
 * const deadline = new StatementDeadline(db, 5000);
 * deadline.run(() => db.exec('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c'));
 * // RequestError STATEMENT_TIMEOUT after 5 s
 */
export class StatementDeadline {
  /** The longest a request's statements may run together, in ms. */
  readonly timeoutMs: number;
  /** `performance.now()` past which the running request is interrupted; Infinity between requests. */
  #deadline = Infinity;

  /**
   * `stopping` is asked at each check too: true interrupts the statement at once (the primary is
   * closing), whatever the deadline.
   */
  constructor(db: Database, timeoutMs: number, stopping: () => boolean = () => false) {
    this.timeoutMs = timeoutMs;
    db.progressHandler(OPS_PER_CHECK, () => performance.now() > this.#deadline || stopping());
  }

  /**
   * Runs `work` (synchronous SQL on the connection) under the deadline; a nested call runs under
   * the outer one's. An interruption past the deadline is rethrown as a {@link RequestError}
   * `STATEMENT_TIMEOUT` with SQLite's error as `cause`.
   */
  run<T>(work: () => T): T {
    if (this.#deadline !== Infinity) return work();
    this.#deadline = performance.now() + this.timeoutMs;
    try {
      return work();
    } catch (error) {
      if (error instanceof SqliteError && error.code === 'SQLITE_INTERRUPT' && performance.now() > this.#deadline) {
        throw new RequestError(
          'STATEMENT_TIMEOUT',
          `the statement ran longer than the ${this.timeoutMs} ms statement timeout and was interrupted: what it wrote was rolled back`,
          undefined,
          { cause: error },
        );
      }
      throw error;
    } finally {
      this.#deadline = Infinity;
    }
  }
}
