import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import {
  LibsqlError,
  type Client,
  type InValue,
  type ResultSet,
  type Row,
  type Transaction,
  type TransactionMode,
} from '../../core/index.ts';
import { withCallerStack } from './caller-stack.ts';
import { rowObject, streamedColumns, toQueryResult, type Column } from './query-result.ts';

/**
 * One Kysely connection over a wasmlite {@link Client}. Outside a transaction every query goes
 * straight to the client; between `begin()` and `commit()`/`rollback()` the connection holds a
 * client transaction (`client.transaction(mode)`), so its queries run inside it and other
 * connections' queries never do. Made and pooled by `WasmliteDriver`.
 *
 * @example
 * await db.connection().execute(async (conn) => {
 *   // every query here runs on one WasmliteConnection
 *   await conn.selectFrom('person').selectAll().execute();
 * });
 */
export class WasmliteConnection implements DatabaseConnection {
  readonly #client: Client;
  #transaction: Transaction | undefined;
  /** Kysely's Migrator holds this connection (see `WasmliteAdapter`). */
  #migrating = false;
  /** The open transaction is a migration's: foreign keys off, checked before the commit. */
  #migration = false;

  constructor(client: Client) {
    this.#client = client;
  }

  /** True while this connection holds a client transaction. */
  get inTransaction(): boolean {
    return this.#transaction !== undefined;
  }

  /**
   * Runs one compiled query. Reads give `rows`; a statement that changed rows (or returns none)
   * also gives `numAffectedRows` and `insertId` as bigints. Errors are the client's, their stack
   * extended with the calling code's frames (see `withCallerStack`).
   */
  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    let result: ResultSet;
    try {
      result = await (this.#transaction ?? this.#client).execute({
        sql: compiledQuery.sql,
        args: compiledQuery.parameters as InValue[],
      });
    } catch (error) {
      throw withCallerStack(error);
    }
    return toQueryResult<R>(result);
  }

  /**
   * Yields the rows in chunks of `chunkSize`. Outside a transaction they come from
   * `client.iterate()`, which steps through SQLite for locally served reads; inside one, from the
   * transaction's result.
   */
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0)
      throw new TypeError('Expected the "chunkSize" argument to be a positive integer');
    const stmt = { sql: compiledQuery.sql, args: compiledQuery.parameters as InValue[] };
    const source: AsyncIterable<Row> | Iterable<Row> =
      this.#transaction === undefined ? this.#client.iterate(stmt) : (await this.#transaction.execute(stmt)).rows;
    let columns: Column[] | undefined;
    let chunk: R[] = [];
    for await (const row of source) {
      columns ??= streamedColumns(row);
      chunk.push(rowObject(row, columns) as R);
      if (chunk.length === chunkSize) {
        yield { rows: chunk };
        chunk = [];
      }
    }
    if (chunk.length > 0) yield { rows: chunk };
  }

  /**
   * Begins a client transaction; this connection's queries run in it until it ends. A migration's
   * transaction runs with foreign keys off, as SQLite's procedure for schema changes asks: a
   * migration that drops and recreates a referenced table must not cascade into other tables.
   */
  async begin(mode: TransactionMode): Promise<void> {
    if (this.#transaction !== undefined) throw new Error('a transaction is already open on this connection');
    this.#transaction = await this.#client.transaction(mode, this.#migrating ? { foreignKeys: false } : undefined);
    this.#migration = this.#migrating;
  }

  /**
   * Commits what `begin()` began. A migration's transaction is first checked with
   * `PRAGMA foreign_key_check`: a violation left behind fails the commit with a `LibsqlError`
   * `SQLITE_CONSTRAINT_FOREIGNKEY`, and the transaction stays open for Kysely to roll back.
   */
  async commit(): Promise<void> {
    if (this.#migration && this.#transaction !== undefined) {
      const { rows } = await this.#transaction.execute('PRAGMA foreign_key_check');
      if (rows.length > 0) {
        const where = rows
          .slice(0, 3)
          .map((r) => `${String(r[0])} row ${String(r[1])} → ${String(r[2])}`)
          .join(', ');
        throw new LibsqlError(
          `FOREIGN KEY constraint failed after the migration: ${where}${rows.length > 3 ? ', …' : ''}`,
          'SQLITE_CONSTRAINT',
          'SQLITE_CONSTRAINT_FOREIGNKEY',
          787,
        );
      }
    }
    await this.#take().commit();
  }

  /** Kysely's Migrator takes this connection: its next transaction is a migration's. */
  startMigration(): void {
    this.#migrating = this.#transaction === undefined;
  }

  /** Kysely's Migrator is done with this connection. */
  endMigration(): void {
    this.#migrating = false;
  }

  /**
   * Rolls back what `begin()` began. Nothing to do when the transaction is already over: Kysely
   * rolls back after a failed commit, and a failed commit has ended the client transaction.
   */
  async rollback(): Promise<void> {
    if (this.#transaction === undefined) return;
    await this.#take().rollback();
  }

  /** Ends a transaction left open (rolled back), so the pooled connection starts clean. */
  reset(): void {
    this.#transaction?.close();
    this.#transaction = undefined;
    this.#migrating = this.#migration = false;
  }

  #take(): Transaction {
    const transaction = this.#transaction;
    if (transaction === undefined) throw new Error('no transaction is open on this connection');
    this.#transaction = undefined;
    this.#migration = false;
    return transaction;
  }
}
