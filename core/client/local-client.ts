import { closeEvenIfIterating, type Database } from '../database/database.ts';
import type { SqlValue } from '../sqlite3/values.ts';
import { ClientError } from './client-error.ts';
import { LibsqlBatchError, toBatchError, toLibsqlError } from './libsql-error.ts';
import { rowMaker } from './libsql-row.ts';
import {
  normalizeStatement,
  StatementRunner,
  type InternalRunner,
  type NormalizedStatement,
} from './statement-runner.ts';
import type {
  Client,
  InArgs,
  InStatement,
  IntMode,
  ResultSet,
  Row,
  Transaction,
  TransactionMode,
  TransactionOptions,
  Value,
} from './types.ts';

const BEGIN: Record<TransactionMode, string> = {
  write: 'BEGIN IMMEDIATE',
  read: 'BEGIN DEFERRED',
  deferred: 'BEGIN DEFERRED',
};

function checkMode(mode: unknown): TransactionMode {
  if (mode !== 'write' && mode !== 'read' && mode !== 'deferred') {
    throw new TypeError('Expected the transaction mode to be "write", "read" or "deferred"');
  }
  return mode;
}

/** Checks `Client.transaction`'s options; a TypeError names what is wrong. */
export function checkTransactionOptions(options: unknown): TransactionOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object')
    throw new TypeError('Expected the transaction options to be an object');
  const { foreignKeys, ...rest } = options as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new TypeError(`Unknown transaction option "${unknown[0]}"`);
  if (foreignKeys !== undefined && typeof foreignKeys !== 'boolean')
    throw new TypeError('Expected the "foreignKeys" transaction option to be a boolean');
  return foreignKeys === undefined ? {} : { foreignKeys };
}

/**
 * Runs `stmts` in one write transaction of `client` with foreign keys off: `Client.migrate` for
 * both kinds of client.
 */
export async function migrateWith(client: Client, stmts: InStatement[]): Promise<ResultSet[]> {
  if (!Array.isArray(stmts)) throw new TypeError('Expected first argument to be an array of statements');
  const tx = await client.transaction('write', { foreignKeys: false });
  try {
    const results: ResultSet[] = [];
    for (const stmt of stmts) results.push(await tx.execute(stmt));
    await tx.commit();
    return results;
  } finally {
    tx.close();
  }
}

/** Sets `PRAGMA foreign_keys` (outside a transaction) and returns what puts the previous value back. */
function setForeignKeys(db: Database, on: boolean): () => void {
  const before = Number(db.pragma('foreign_keys', { simple: true })) === 1;
  db.exec(`PRAGMA foreign_keys = ${on ? 'ON' : 'OFF'}`);
  return () => {
    if (db.open && !db.inTransaction) db.exec(`PRAGMA foreign_keys = ${before ? 'ON' : 'OFF'}`);
  };
}

/**
 * A {@link Client} over one local database connection (`createClient({ url: 'file:…' })`).
 *
 * Every call runs synchronously on the connection once it is its turn; an interactive
 * transaction holds the connection until it ends, and calls made meanwhile wait for it, so they
 * never run inside it. `batch` is atomic: all statements or none.
 */
export class LocalClient implements Client {
  readonly protocol = 'file';
  readonly #ready: Promise<StatementRunner>;
  readonly #intMode: IntMode;
  #runner: StatementRunner | undefined;
  #closed = false;
  /** Settles when the open interactive transaction ends; undefined when none is open. */
  #busy: Promise<void> | undefined;
  #endBusy: (() => void) | undefined;

  /** `internal` runs the client's own statements (see `InternalRunner`); by default, directly. */
  constructor(database: Promise<Database>, intMode: IntMode, internal?: InternalRunner) {
    this.#intMode = intMode;
    this.#ready = database.then(
      (db) => (this.#runner = new StatementRunner(db, intMode, internal)),
      (error: unknown) => {
        throw toLibsqlError(error);
      },
    );
    // The error is reported by the first call that needs the database.
    this.#ready.catch(() => {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  async execute(stmt: InStatement, args?: InArgs): Promise<ResultSet> {
    const s = normalizeStatement(stmt, args);
    return this.#withConnection((runner) => runner.run(s));
  }

  async batch(stmts: InStatement[], mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    if (!Array.isArray(stmts)) throw new TypeError('Expected first argument to be an array of statements');
    checkMode(mode);
    const normalized = stmts.map((s) => normalizeStatement(s));
    return this.#withConnection((runner) => runBatch(runner, mode, normalized));
  }

  /**
   * Runs the script as SQLite's `exec` does (it may begin and commit its own transactions); the
   * first failure stops it. Whatever transaction it leaves open, failed or not, is rolled back,
   * as libSQL does: later calls never run inside it.
   */
  async executeMultiple(sql: string): Promise<void> {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    return this.#withConnection((runner) => {
      try {
        runner.db.exec(sql);
      } finally {
        if (runner.db.open && runner.db.inTransaction) runner.db.exec('ROLLBACK');
      }
    });
  }

  async transaction(mode: TransactionMode = 'write', options?: TransactionOptions): Promise<Transaction> {
    checkMode(mode);
    const { foreignKeys } = checkTransactionOptions(options);
    return this.#withConnection((runner) => {
      let end!: () => void;
      const busy = new Promise<void>((resolve) => (end = resolve));
      const restore = foreignKeys === undefined ? undefined : setForeignKeys(runner.db, foreignKeys);
      try {
        begin(runner, mode);
      } catch (error) {
        restore?.();
        throw error;
      }
      this.#busy = busy;
      this.#endBusy = end;
      return new LocalTransaction(runner, mode, () => {
        restore?.();
        if (this.#busy === busy) this.#busy = this.#endBusy = undefined;
        end();
      });
    });
  }

  migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return migrateWith(this, stmts);
  }

  /**
   * Yields the statement's rows one at a time from SQLite's stepping, so memory stays flat for
   * any result size. The connection is held like a transaction's from the first `next()` until
   * the iterator ends (finished, `return()`ed, or failed): calls made meanwhile wait, and the
   * iteration never runs inside another caller's transaction.
   */
  async *iterate(stmt: InStatement, args?: InArgs): AsyncIterableIterator<Row> {
    const s = normalizeStatement(stmt, args);
    let end!: () => void;
    const busy = new Promise<void>((resolve) => (end = resolve));
    const runner = await this.#withConnection((r) => {
      this.#busy = busy;
      this.#endBusy = end;
      return r;
    });
    try {
      yield* iterateRows(runner, s, this.#intMode);
    } catch (error) {
      throw toLibsqlError(error);
    } finally {
      if (this.#busy === busy) this.#busy = this.#endBusy = undefined;
      end();
    }
  }

  /** A no-op for a local database (there is nothing to sync from); resolves to undefined. */
  async sync(): Promise<undefined> {
    return this.#withConnection(() => undefined);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#runner !== undefined) closeEvenIfIterating(this.#runner.db);
    this.#endBusy?.();
    this.#ready.then(
      (runner) => closeEvenIfIterating(runner.db),
      () => {},
    );
  }

  /**
   * Waits until no transaction holds the connection, then runs `work` on it. The check and the
   * work happen in one synchronous turn: returning the connection to an awaiting caller instead
   * would let a transaction begin in between, and the caller's statement would run inside it.
   */
  async #withConnection<T>(work: (runner: StatementRunner) => T): Promise<T> {
    const runner = this.#runner ?? (await this.#ready);
    while (this.#busy !== undefined && !this.#closed) await this.#busy;
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
    try {
      return work(runner);
    } catch (error) {
      throw toLibsqlError(error);
    }
  }
}

/**
 * Steps `s` on the runner's connection and yields each row shaped as `StatementRunner.run` shapes
 * it (integers per `intMode`, blobs as `ArrayBuffer`, column-name properties). A statement that
 * returns no rows is run and yields nothing. Shared with the replica client's local reads.
 */
export function* iterateRows(
  runner: StatementRunner,
  s: NormalizedStatement,
  intMode: IntMode,
): Generator<Row, void, undefined> {
  const stmt = runner.db.prepare<SqlValue[]>(s.sql);
  if (!stmt.reader) {
    stmt.run(...s.args);
    return;
  }
  stmt.raw();
  if (intMode !== 'number') stmt.safeIntegers();
  const make = rowMaker(stmt.columns().map((c) => c.name));
  for (const values of stmt.iterate(...s.args)) {
    const row = values as Value[];
    for (let i = 0; i < row.length; i++) {
      const v: unknown = row[i];
      if (typeof v === 'bigint' && intMode === 'string') row[i] = v.toString();
      // Blobs are fresh exact-size copies, so their buffer is the blob.
      else if (v instanceof Uint8Array) row[i] = v.buffer as ArrayBuffer;
    }
    yield make(row);
  }
}

function begin(runner: StatementRunner, mode: TransactionMode): void {
  runner.db.exec(BEGIN[mode]);
  if (mode === 'read') {
    try {
      runner.internal(() => runner.db.exec('PRAGMA query_only = 1'));
    } catch (error) {
      runner.db.exec('ROLLBACK');
      throw error;
    }
  }
}

function finish(runner: StatementRunner, mode: TransactionMode, sql: 'COMMIT' | 'ROLLBACK'): void {
  try {
    if (sql === 'COMMIT') runner.db.exec('COMMIT');
    else if (runner.db.inTransaction) runner.db.exec('ROLLBACK');
  } catch (error) {
    if (runner.db.inTransaction) runner.db.exec('ROLLBACK');
    throw error;
  } finally {
    if (mode === 'read' && runner.db.open) runner.internal(() => runner.db.exec('PRAGMA query_only = 0'));
  }
}

/**
 * Runs `stmts` as one transaction begun in `mode`: all of them commit, or none. A failure rejects
 * with a {@link LibsqlBatchError} naming the statement; a statement that would commit or roll
 * back the batch's transaction (SQLite's compiled program says so) fails with
 * `TRANSACTION_CLOSED` before it runs, and one that ended it anyway (SQLite is back in autocommit
 * mode after it) fails the same way: nothing of the batch is kept. Shared with the replica
 * client's local read batches.
 */
export function runBatch(
  runner: StatementRunner,
  mode: TransactionMode,
  stmts: readonly NormalizedStatement[],
): ResultSet[] {
  return runAtomically(runner, mode, () => {
    const results: ResultSet[] = [];
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i]!;
      try {
        const control = runner.transactionControl(s.sql);
        if (control === 'commit' || control === 'rollback') {
          throw new LibsqlBatchError(
            'a batch is one transaction: a statement in it cannot commit or roll it back',
            i,
            'TRANSACTION_CLOSED',
          );
        }
        results.push(runner.run(s));
      } catch (error) {
        throw toBatchError(error, i);
      }
      if (!runner.db.inTransaction)
        throw new LibsqlBatchError('The transaction has been rolled back', i, 'TRANSACTION_CLOSED');
    }
    return results;
  });
}

/** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
function runAtomically<T>(runner: StatementRunner, mode: TransactionMode, work: () => T): T {
  begin(runner, mode);
  let result: T;
  try {
    result = work();
  } catch (error) {
    finish(runner, mode, 'ROLLBACK');
    throw error;
  }
  finish(runner, mode, 'COMMIT');
  return result;
}

/** An interactive transaction on a {@link LocalClient}'s connection. */
class LocalTransaction implements Transaction {
  readonly #runner: StatementRunner;
  readonly #mode: TransactionMode;
  readonly #onEnd: () => void;
  #closed = false;

  constructor(runner: StatementRunner, mode: TransactionMode, onEnd: () => void) {
    this.#runner = runner;
    this.#mode = mode;
    this.#onEnd = onEnd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async execute(stmt: InStatement, args?: InArgs): Promise<ResultSet> {
    const s = normalizeStatement(stmt, args);
    this.#check();
    return this.#guard(() => this.#runner.run(s));
  }

  /**
   * Runs the statements in order, in the transaction. As in libSQL, the first failure (a
   * {@link LibsqlBatchError} naming the statement) stops the batch and the transaction is not
   * rolled back: the statements before it stay in it. A statement that ended the transaction
   * (a `ROLLBACK`) makes the next one fail with `TRANSACTION_CLOSED`.
   */
  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    if (!Array.isArray(stmts)) throw new TypeError('Expected first argument to be an array of statements');
    const normalized = stmts.map((s) => normalizeStatement(s));
    this.#check();
    const db = this.#runner.db;
    return this.#guard(() => {
      const results: ResultSet[] = [];
      for (let i = 0; i < normalized.length; i++) {
        if (!db.inTransaction)
          throw new LibsqlBatchError('The transaction has been rolled back', i, 'TRANSACTION_CLOSED');
        try {
          results.push(this.#runner.run(normalized[i]!));
        } catch (error) {
          throw toBatchError(error, i);
        }
      }
      return results;
    });
  }

  async executeMultiple(sql: string): Promise<void> {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    this.#check();
    this.#guard(() => this.#runner.db.exec(sql));
  }

  async commit(): Promise<void> {
    this.#check();
    try {
      this.#end('COMMIT');
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  async rollback(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#end('ROLLBACK');
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  close(): void {
    if (!this.#closed) this.#end('ROLLBACK');
  }

  #end(sql: 'COMMIT' | 'ROLLBACK'): void {
    this.#closed = true;
    try {
      if (this.#runner.db.open) finish(this.#runner, this.#mode, sql);
    } finally {
      this.#onEnd();
    }
  }

  #check(): void {
    if (this.#closed) throw new ClientError('The transaction is closed', 'TRANSACTION_CLOSED');
    if (!this.#runner.db.open) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
    if (!this.#runner.db.inTransaction) {
      // Ended behind our back (a COMMIT or ROLLBACK run through execute()): going on would run
      // the next statements in autocommit mode, outside any transaction.
      this.#end('ROLLBACK');
      throw new ClientError('The transaction has been rolled back', 'TRANSACTION_CLOSED');
    }
  }

  /**
   * Runs `work`; when it fails because SQLite rolled the whole transaction back (INSERT OR
   * ROLLBACK, RAISE(ROLLBACK), SQLITE_FULL…), the transaction is over: it is closed and the
   * client released, so later statements cannot run in autocommit mode and be kept.
   */
  #guard<T>(work: () => T): T {
    try {
      const result = work();
      // A statement that ended the transaction (ROLLBACK, COMMIT in a script): it is over.
      if (this.#runner.db.open && !this.#runner.db.inTransaction) this.#end('ROLLBACK');
      return result;
    } catch (error) {
      if (this.#runner.db.open && !this.#runner.db.inTransaction) this.#end('ROLLBACK');
      throw toLibsqlError(error);
    }
  }
}
