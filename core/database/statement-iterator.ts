import type { Engine } from '../sqlite3/engine.ts';
import { SQLITE_DONE, SQLITE_ROW } from '../sqlite3/constants.ts';
import { busyError, type Connection } from './connection.ts';

/**
 * The iterator `Statement.iterate()` returns: one `sqlite3_step` per `next()`, so memory stays
 * flat for results of any size. It holds its statement (and the connection's iterator count)
 * from `iterate()` until the rows run out, a step fails, or `return()` (what `break` calls).
 *
 * `next()` and `return()` called from inside a user function (while the connection runs a
 * statement) are TypeErrors, as in better-sqlite3; SQLite's errors are `SqliteError`s and end
 * the iteration.
 *
 * @example
 * const it = db.prepare('SELECT id FROM t').pluck().iterate();
 * it.next(); // { done: false, value: 1 }
 * it.return(); // { done: true, value: undefined }: the statement can run again
 */
export class StatementIterator<Row> implements IterableIterator<Row> {
  readonly #connection: Connection;
  readonly #engine: Engine;
  readonly #ptr: number;
  readonly #reader: () => (e: Engine, stmt: number) => unknown;
  readonly #release: () => void;
  #read: ((e: Engine, stmt: number) => unknown) | undefined;
  #alive = true;
  #logged = false;

  /** @internal Made by `Statement.iterate()`, which has bound the parameters. */
  constructor(
    connection: Connection,
    ptr: number,
    reader: () => (e: Engine, stmt: number) => unknown,
    release: () => void,
  ) {
    this.#connection = connection;
    this.#engine = connection.engine;
    this.#ptr = ptr;
    this.#reader = reader;
    this.#release = release;
  }

  next(): IteratorResult<Row, undefined> {
    const c = this.#connection;
    if (c.busy) throw busyError();
    if (!this.#alive) return { done: true, value: undefined };
    if (!c.isOpen) {
      // Only the Client's close() ends a connection under an open iterator.
      this.#end();
      throw new TypeError('The database connection was closed during iteration');
    }
    const ptr = this.#ptr;
    let rc: number;
    try {
      if (!this.#logged) {
        this.#logged = true;
        if (c.verbose !== undefined) c.log(ptr);
      }
      c.busy = true;
      try {
        rc = this.#engine.x.sqlite3_step(ptr);
      } finally {
        c.busy = false;
      }
      if (rc === SQLITE_ROW) {
        this.#read ??= this.#reader();
        return { done: false, value: this.#read(this.#engine, ptr) as Row };
      }
    } catch (error) {
      this.#end();
      throw error;
    }
    if (rc === SQLITE_DONE) {
      this.#end();
      return { done: true, value: undefined };
    }
    const error = c.error(rc);
    this.#end();
    throw error;
  }

  return(): IteratorResult<Row, undefined> {
    if (this.#connection.busy) throw busyError();
    if (this.#alive) this.#end();
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }

  #end(): void {
    this.#alive = false;
    if (this.#connection.isOpen) this.#engine.x.sqlite3_reset(this.#ptr);
    this.#release();
  }
}
