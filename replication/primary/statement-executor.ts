import type { Database, Statement } from '../../core/index.ts';
import type { SqlValue } from '../../core/index.ts';
import { RemoteSqlPolicy } from '../../core/client/remote-sql-policy.ts';
import { transactionControl, type TransactionControl } from '../../core/client/transaction-control.ts';
import { RequestError } from './request-error.ts';
import { ResponseBudget } from './response-budget.ts';
import { StatementDeadline } from './statement-deadline.ts';

/**
 * One statement to run: SQL and its parameters, positional or named (keys without the prefix).
 *
 * @example
 * const stmt: StatementInput = { sql: 'INSERT INTO t VALUES (?)', args: [1] };
 */
export interface StatementInput {
  readonly sql: string;
  readonly args?: readonly SqlValue[] | Readonly<Record<string, SqlValue>>;
}

/**
 * A statement's result, in @libsql/client's `ResultSet` shape; integers are bigints.
 *
 * @example
 * result.rows[0]?.[0]; // 42n
 */
export interface StatementResult {
  readonly columns: string[];
  readonly columnTypes: string[];
  readonly rows: SqlValue[][];
  readonly rowsAffected: number;
  /** The rowid of the row the statement inserted, `undefined` if it inserted none. */
  readonly lastInsertRowid: bigint | undefined;
}

/** Who runs the statements: a read token may only run what SQLite says is read-only. */
export type Access = 'read' | 'write';

/** How a batch's transaction starts (as in @libsql/client). */
export type BatchMode = 'write' | 'read' | 'deferred';

/**
 * What one request may cost on the writer connection (each limit is off when left out).
 *
 * @example
 * new StatementExecutor(db, { statementTimeoutMs: 5000, maxResponseRows: 200_000, maxResponseBytes: 10 << 20 });
 */
export interface ExecutorLimits {
  /** How long, in ms, one request's statements may run together before SQLite interrupts them. */
  readonly statementTimeoutMs?: number;
  /** The most rows one answer may hold (over a batch's statements). */
  readonly maxResponseRows?: number;
  /** The most bytes of JSON the rows of one answer may take. */
  readonly maxResponseBytes?: number;
}

/**
 * Makes a write request's commit: calls `commit` (which runs `COMMIT`) knowing the request's
 * `result`, typically attaching it to the commit's log record (`WalCapture.withMeta`). Throwing
 * refuses the commit (the transaction is rolled back).
 *
 * @example
 * const seal: Seal<StatementResult> = (result, commit) => capture.withMeta({ idempotencyKey, result: encode(result) }, commit);
 */
export type Seal<T> = (result: T, commit: () => void) => void;

const CACHE_SIZE = 128;

/**
 * Where a statement runs: on its own (`execute`), in an interactive transaction, or in a batch's
 * transaction. It decides what a transaction-control statement gets.
 */
type Context = 'execute' | 'transaction' | 'batch';

const statementIndexes = new WeakMap<object, number>();

/**
 * Marks `error` as the failure of a batch's statement `index` (see {@link failedStatementIndex})
 * unless it is marked already; returns it.
 *
 * @example
 * throw markFailedStatement(error, 2);
 */
export function markFailedStatement(error: unknown, index: number): unknown {
  if (error !== null && typeof error === 'object' && !statementIndexes.has(error)) statementIndexes.set(error, index);
  return error;
}

/**
 * The zero-based index of the batch statement `error` is the failure of (sent to clients as the
 * error's `statementIndex`), or undefined for an error that is not a batch statement's.
 *
 * @example
 * try { executor.batch(inputs, 'write') } catch (e) { failedStatementIndex(e); } // 1
 */
export function failedStatementIndex(error: unknown): number | undefined {
  return error !== null && typeof error === 'object' ? statementIndexes.get(error) : undefined;
}

/**
 * Runs statements and batches on one of the primary's connections (the writer, or a read-only
 * one), one at a time (everything is synchronous, so requests cannot interleave). Every statement
 * is compiled under a {@link RemoteSqlPolicy}, SQLite's authorizer: `ATTACH`, `VACUUM INTO`,
 * TEMP objects and pragmas that change the connection fail with a `ForbiddenActionError` before
 * anything runs (foreign key pragmas are let through inside a write transaction, where they
 * cannot outlive it, and in scripts, which put them back). A read access runs only statements
 * that SQLite reports read-only (`Statement.readonly`), anything else is a {@link RequestError}
 * `READ_ONLY_TOKEN`. Transaction control (`BEGIN`, `COMMIT`, …, recognised by the program SQLite
 * compiles, see `transactionControl`) is refused (`TRANSACTION_CONTROL`): a transaction left open
 * would block every other request. Inside an interactive transaction a `ROLLBACK` is accepted and ends it (as libSQL
 * does); in a batch, a statement that would commit or roll back the batch's transaction fails it
 * with `TRANSACTION_CLOSED`. Savepoints (`SAVEPOINT`, `RELEASE`, `ROLLBACK TO`, recognised by
 * the authorizer) are accepted inside a transaction, where they nest. SQLite failures are thrown
 * as `SqliteError`s; a failed batch changes nothing. A batch statement's failure is marked with
 * its index ({@link failedStatementIndex}).
 *
 * Each request (a call of `execute`, `batch`, `script`, `executeIn`, `batchIn`, `commit`) runs
 * under the {@link ExecutorLimits}: past `statementTimeoutMs` SQLite interrupts it
 * (`STATEMENT_TIMEOUT`, what it wrote is rolled back), and rows are counted as they are read, so
 * an answer past `maxResponseRows` or `maxResponseBytes` stops stepping at once
 * (`RESPONSE_TOO_LARGE`; a write with `RETURNING` runs in a savepoint, rolled back then).
 *
 * @example
 * const executor = new StatementExecutor(db);
 * executor.execute({ sql: 'SELECT 1' }, 'read').rows; // [[1n]]
 */
export class StatementExecutor {
  readonly #db: Database;
  readonly #cache = new Map<string, Statement<SqlValue[]>>();
  readonly #changes: Statement<SqlValue[]>;
  readonly #begin: Record<BatchMode, Statement>;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  /** A write that returns rows runs in this savepoint, so that an answer too large can undo it. */
  readonly #savepoint: { open: Statement; release: Statement; undo: Statement };
  readonly #budget: ResponseBudget;
  readonly #deadline: StatementDeadline | undefined;
  readonly #policy: RemoteSqlPolicy;
  readonly #vacuums = new WeakMap<Statement<SqlValue[]>, boolean>();
  /** The foreign key enforcement to restore once the interactive transaction ends, if it changed it. */
  #foreignKeysAfter: boolean | undefined;

  /** `stopping` interrupts a running request when it returns true (see `StatementDeadline`). */
  constructor(db: Database, limits: ExecutorLimits = {}, stopping?: () => boolean) {
    this.#db = db;
    this.#budget = new ResponseBudget(limits.maxResponseRows ?? Infinity, limits.maxResponseBytes ?? Infinity);
    this.#deadline =
      limits.statementTimeoutMs === undefined
        ? undefined
        : new StatementDeadline(db, limits.statementTimeoutMs, stopping);
    this.#savepoint = {
      open: db.prepare('SAVEPOINT wasmlite_returning'),
      release: db.prepare('RELEASE wasmlite_returning'),
      undo: db.prepare('ROLLBACK TO wasmlite_returning'),
    };
    this.#changes = db
      .prepare<SqlValue[]>('SELECT changes(), last_insert_rowid(), total_changes()')
      .raw()
      .safeIntegers();
    this.#begin = {
      write: db.prepare('BEGIN IMMEDIATE'),
      read: db.prepare('BEGIN DEFERRED'),
      deferred: db.prepare('BEGIN DEFERRED'),
    };
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#policy = RemoteSqlPolicy.install(db);
  }

  /** Closes the connection (rolling back what is open on it); for connections the executor owns. */
  close(): void {
    this.#db.close();
  }

  /** Whether a transaction is open on the connection. */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  /**
   * Opens an interactive transaction (`write` = `BEGIN IMMEDIATE`, else `BEGIN DEFERRED`); the
   * statements that follow run in it through {@link executeIn} and {@link batchIn} until
   * {@link commit} or {@link rollback}.
   *
   * @example
   * executor.begin('write');
   * executor.executeIn({ sql: 'INSERT INTO t VALUES (1)' }, 'write');
   * executor.commit();
   */
  begin(mode: BatchMode, foreignKeys?: boolean): void {
    if (foreignKeys !== undefined) {
      // Set before BEGIN: inside a transaction the pragma does nothing.
      this.#foreignKeysAfter = Number(this.#db.pragma('foreign_keys', { simple: true })) === 1;
      this.#policy.trusted(() => this.#db.exec(`PRAGMA foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`));
    }
    try {
      this.#begin[mode].run();
    } catch (error) {
      this.settle();
      throw error;
    }
  }

  /**
   * Puts back the foreign key enforcement {@link begin} or {@link script} changed once the
   * transaction or script is over, however it ended; does nothing while a transaction is open or
   * when nothing was changed.
   */
  settle(): void {
    if (this.#foreignKeysAfter === undefined || this.#db.inTransaction || !this.#db.open) return;
    const on = this.#foreignKeysAfter;
    this.#policy.trusted(() => this.#db.exec(`PRAGMA foreign_keys = ${on ? 'ON' : 'OFF'}`));
    this.#foreignKeysAfter = undefined;
  }

  /**
   * Runs one statement inside the open transaction; a failure leaves the transaction open (unless
   * SQLite itself rolled it back, see {@link inTransaction}).
   *
   * @example
   * executor.executeIn({ sql: 'SELECT count(*) FROM t' }, 'read').rows; // [[1n]]
   */
  executeIn(input: StatementInput, access: Access): StatementResult {
    return this.#request(() => this.#run(this.#prepare(input.sql, access, 'transaction'), input.args));
  }

  /**
   * Runs the statements in order inside the open transaction, as libSQL's `Transaction.batch`
   * does: the first failure (rethrown, marked with its index) stops it, the statements before it
   * stay and the transaction stays open. A statement after one that ended the transaction (a
   * `ROLLBACK`) fails with `TRANSACTION_CLOSED`.
   *
   * @example
   * executor.batchIn([{ sql: 'INSERT INTO t VALUES (2)' }, { sql: 'INSERT INTO t VALUES (3)' }], 'write');
   */
  batchIn(inputs: readonly StatementInput[], access: Access): StatementResult[] {
    return this.#request(() => this.#batchIn(inputs, access));
  }

  #batchIn(inputs: readonly StatementInput[], access: Access): StatementResult[] {
    const results: StatementResult[] = [];
    for (let i = 0; i < inputs.length; i++) {
      try {
        if (!this.#db.inTransaction)
          throw new RequestError('TRANSACTION_CLOSED', 'the transaction has been rolled back');
        results.push(this.#run(this.#prepare(inputs[i]!.sql, access, 'transaction'), inputs[i]!.args));
      } catch (error) {
        throw markFailedStatement(error, i);
      }
    }
    return results;
  }

  /**
   * Commits the open transaction; if the commit fails the transaction is rolled back (the
   * failure is rethrown). With `seal`, `seal` makes the commit.
   *
   * @example
   * executor.commit();
   */
  commit(seal?: Seal<void>): void {
    try {
      this.#request(() => (seal === undefined ? void this.#commit.run() : seal(undefined, () => this.#commit.run())));
    } finally {
      if (this.#db.inTransaction) this.#rollback.run();
    }
  }

  /**
   * Rolls the open transaction back; does nothing if none is open.
   *
   * @example
   * executor.rollback();
   */
  rollback(): void {
    if (this.#db.inTransaction) this.#rollback.run();
  }

  /**
   * Runs one statement in its own transaction. With `seal`, a statement that may write runs in an
   * explicit `BEGIN IMMEDIATE` and `seal` makes the commit, knowing the result (a read-only one
   * runs as without it: it commits nothing; so does a `VACUUM`, which cannot run in a transaction
   * and whose repetition changes nothing).
   *
   * @example
   * executor.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['a'] }, 'write').lastInsertRowid; // 1n
   */
  execute(input: StatementInput, access: Access, seal?: Seal<StatementResult>): StatementResult {
    const stmt = this.#prepare(input.sql, access);
    try {
      if (seal !== undefined && !stmt.readonly && !this.#isVacuum(stmt, input.sql)) {
        this.#begin.write.run();
        const result = this.#request(() => this.#run(stmt, input.args));
        seal(result, () => this.#commit.run());
        return result;
      }
      return this.#request(() => this.#run(stmt, input.args));
    } finally {
      // A statement that left a transaction open (a trick the keyword check missed) is undone.
      if (this.#db.inTransaction) this.#rollback.run();
    }
  }

  /**
   * Runs a script's statements (split by `splitStatements`) one after another as `sqlite3_exec`
   * does: in autocommit mode, where the script may `BEGIN` and `COMMIT` itself; the first failure
   * stops it and is rethrown, and what earlier statements committed stays. A transaction the
   * script leaves open is rolled back (a {@link RequestError} `TRANSACTION_CONTROL` if the script
   * otherwise succeeded), and `PRAGMA foreign_keys` is put back as it was (`defer_foreign_keys` SQLite
   * resets itself), so nothing of the script's connection state outlives it. The policy refuses
   * the rest (`ATTACH`, other pragma setters, TEMP objects) statement by statement.
   *
   * @example
   * executor.script(['PRAGMA foreign_keys = OFF;', 'BEGIN;', 'DROP TABLE old;', 'COMMIT;']);
   */
  script(statements: readonly string[]): void {
    // Whatever the script does to foreign key enforcement is undone by settle(), as after begin().
    this.#foreignKeysAfter = Number(this.#db.pragma('foreign_keys', { simple: true })) === 1;
    try {
      this.#request(() =>
        this.#policy.withForeignKeyPragmas(() => {
          for (const sql of statements) this.#policy.exec(sql);
        }),
      );
      if (this.#db.inTransaction)
        throw new RequestError('TRANSACTION_CONTROL', 'the script left a transaction open: it was rolled back');
    } finally {
      if (this.#db.inTransaction) this.#rollback.run();
      this.settle();
    }
  }

  /**
   * Runs the statements in one transaction: all of them commit, or (on the first failure, which
   * is rethrown) none. A read access checks every statement before running any. With `seal`,
   * `seal` makes the commit, knowing the results.
   *
   * @example
   * executor.batch([{ sql: 'INSERT INTO t VALUES (1)' }, { sql: 'INSERT INTO t VALUES (2)' }], 'write', 'write');
   */
  batch(
    inputs: readonly StatementInput[],
    access: Access,
    mode: BatchMode = 'deferred',
    seal?: Seal<StatementResult[]>,
  ): StatementResult[] {
    if (access === 'read') {
      inputs.forEach((input, i) => {
        try {
          this.#prepare(input.sql, access, 'batch');
        } catch (error) {
          throw markFailedStatement(error, i);
        }
      });
    }
    this.#begin[access === 'read' ? 'read' : mode].run();
    try {
      const results = this.#request(() =>
        inputs.map((input, i) => {
          try {
            const result = this.#run(this.#prepare(input.sql, access, 'batch'), input.args);
            // SQLite is back in autocommit mode: the statement ended the batch's transaction.
            if (!this.#db.inTransaction)
              throw new RequestError('TRANSACTION_CLOSED', "the batch's transaction has been rolled back");
            return result;
          } catch (error) {
            throw markFailedStatement(error, i);
          }
        }),
      );
      if (seal === undefined) this.#commit.run();
      else seal(results, () => this.#commit.run());
      return results;
    } finally {
      if (this.#db.inTransaction) this.#rollback.run();
    }
  }

  #prepare(sql: string, access: Access, context: Context = 'execute'): Statement<SqlValue[]> {
    let stmt = this.#cache.get(sql);
    if (stmt === undefined) {
      const compile = (): Statement<SqlValue[]> => this.#policy.compile(() => this.#db.prepare<SqlValue[]>(sql));
      // Inside a write transaction foreign key pragmas cannot outlive it (SQLite ignores or resets them there).
      stmt = access === 'write' && this.#db.inTransaction ? this.#policy.withForeignKeyPragmas(compile) : compile();
      if (this.#policy.savepoint) {
        if (!this.#db.inTransaction) {
          throw new RequestError(
            'TRANSACTION_CONTROL',
            'savepoints are accepted inside a transaction only (an interactive transaction or a batch)',
          );
        }
        // Not cached: whether it is allowed depends on the moment.
        return stmt;
      }
      // Nor is a foreign key pragma let through because a transaction was open.
      if (this.#policy.usedForeignKeyPragma) return this.#checkAccess(stmt, access);
      const control = transactionControl(this.#db, stmt, sql);
      // Not cached either: never on the paths that serve ordinary statements.
      if (control !== undefined) return this.#controlling(stmt, control, context);
      if (stmt.reader) stmt.raw().safeIntegers();
      this.#cache.set(sql, stmt);
      if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    } else {
      this.#cache.delete(sql);
      this.#cache.set(sql, stmt);
    }
    return this.#checkAccess(stmt, access);
  }

  /** Whether `stmt` is a `VACUUM` (see `RemoteSqlPolicy.isVacuum`), asked once per compiled statement. */
  #isVacuum(stmt: Statement<SqlValue[]>, sql: string): boolean {
    let vacuum = this.#vacuums.get(stmt);
    if (vacuum === undefined) this.#vacuums.set(stmt, (vacuum = this.#policy.isVacuum(sql)));
    return vacuum;
  }

  #checkAccess(stmt: Statement<SqlValue[]>, access: Access): Statement<SqlValue[]> {
    if (access === 'read' && !stmt.readonly)
      throw new RequestError('READ_ONLY_TOKEN', 'a read token cannot run a statement that writes');
    return stmt;
  }

  /** A transaction-control statement, if `context` accepts it; the typed refusal otherwise. */
  #controlling(stmt: Statement<SqlValue[]>, control: TransactionControl, context: Context): Statement<SqlValue[]> {
    if (context === 'transaction' && control === 'rollback') return stmt;
    if (context === 'batch' && control !== 'begin') {
      throw new RequestError(
        'TRANSACTION_CLOSED',
        'a batch is one transaction: a statement in it cannot commit or roll it back',
      );
    }
    if (context === 'transaction') {
      throw new RequestError(
        'TRANSACTION_CONTROL',
        'inside a transaction, end it with its commit or rollback (a ROLLBACK statement is accepted too)',
      );
    }
    throw new RequestError('TRANSACTION_CONTROL', 'transaction control statements are not accepted: use a batch');
  }

  /**
   * Runs one request's SQL under the limits: a fresh response budget and the statement deadline.
   * A timeout keeps the failing batch statement's index.
   */
  #request<T>(work: () => T): T {
    this.#budget.reset();
    if (this.#deadline === undefined) return work();
    try {
      return this.#deadline.run(work);
    } catch (error) {
      const index = error instanceof RequestError ? failedStatementIndex(error.cause) : undefined;
      throw index === undefined ? error : markFailedStatement(error, index);
    }
  }

  /** The statement's rows, each counted against the response budget as it is read. */
  #rows(stmt: Statement<SqlValue[]>, params: StatementInput['args'] | readonly never[]): SqlValue[][] {
    const rows: SqlValue[][] = [];
    // Leaving the loop early resets the statement: a read stops stepping at once.
    for (const row of stmt.iterate(params) as IterableIterator<SqlValue[]>) {
      this.#budget.count(row);
      rows.push(row);
    }
    return rows;
  }

  #run(stmt: Statement<SqlValue[]>, args: StatementInput['args']): StatementResult {
    return this.#policy.run(() => this.#step(stmt, args));
  }

  #step(stmt: Statement<SqlValue[]>, args: StatementInput['args']): StatementResult {
    // Passed whole, not spread: a million arguments would overflow the call stack.
    const params = args ?? [];
    if (!stmt.reader) {
      const info = stmt.run(params);
      return {
        columns: [],
        columnTypes: [],
        rows: [],
        rowsAffected: info.changes,
        lastInsertRowid: info.changes > 0 ? BigInt(info.lastInsertRowid) : undefined,
      };
    }
    const columns = stmt.columns();
    if (stmt.readonly) {
      return {
        columns: columns.map((c) => c.name),
        columnTypes: columns.map((c) => c.type ?? ''),
        rows: this.#rows(stmt, params),
        rowsAffected: 0,
        lastInsertRowid: undefined,
      };
    }
    const totalBefore = this.#changes.get()![2];
    // A write's RETURNING rows come after all of its changes are made, and stopping there would
    // keep them: the savepoint lets an answer too large (or any failure) undo the statement alone.
    const alone = !this.#db.inTransaction;
    this.#savepoint.open.run();
    let rows: SqlValue[][];
    try {
      rows = this.#rows(stmt, params);
    } catch (error) {
      // SQLite itself may have rolled the transaction back (an interrupt, a full disk): then the
      // savepoint is gone. A savepoint that began the transaction is rolled back whole, so that
      // nothing commits (RELEASE would commit page 1 with a new change counter).
      if (this.#db.inTransaction && alone) this.#rollback.run();
      else if (this.#db.inTransaction) {
        this.#savepoint.undo.run();
        this.#savepoint.release.run();
      }
      throw error;
    }
    const [changes, rowid, total] = this.#changes.get() as [bigint, bigint, bigint];
    this.#savepoint.release.run();
    // Only a moved total_changes() says this statement changed rows, not an earlier one.
    const rowsAffected = total === totalBefore ? 0 : Number(changes);
    const lastInsertRowid = rowsAffected > 0 ? rowid : undefined;
    return {
      columns: columns.map((c) => c.name),
      columnTypes: columns.map((c) => c.type ?? ''),
      rows,
      rowsAffected,
      lastInsertRowid,
    };
  }
}
