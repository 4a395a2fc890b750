/** A value a statement argument may hold (as in @libsql/client). Dates bind as epoch milliseconds. */
export type InValue = null | string | number | bigint | boolean | ArrayBuffer | Uint8Array | Date;

/** Statement arguments: positional (array) or named (object, keys with or without `:`/`@`/`$`). */
export type InArgs = InValue[] | Record<string, InValue>;

/** A statement for `execute`/`batch`: SQL text, `{ sql, args }`, or a `[sql, args]` pair. */
export type InStatement = string | { sql: string; args?: InArgs } | [sql: string, args?: InArgs];

/** A value in a result row: integers per `intMode`, blobs as `ArrayBuffer` (as in @libsql/client). */
export type Value = null | string | number | bigint | ArrayBuffer;

/**
 * A result row, shaped as @libsql/client shapes it: an object with each column's value under
 * its name (`row.id`, enumerable, so `JSON.stringify(row)` and `Object.entries(row)` give the
 * columns) and under its index (`row[0]`, with `length`; not enumerable). A name that would
 * shadow an index, `length` or `__proto__` is readable by index only; with duplicate names the
 * first column wins. Not an `Array`: `Array.from(row)` or `[...row]` gives the values.
 */
export interface Row {
  length: number;
  [index: number]: Value;
  [name: string]: Value;
  /** The values in column order (an addition to libSQL's rows, which are not iterable). */
  [Symbol.iterator](): IterableIterator<Value>;
}

/** How a transaction or batch begins: `write` (BEGIN IMMEDIATE), `read` (read-only), `deferred`. */
export type TransactionMode = 'write' | 'read' | 'deferred';

/** How INTEGER values are returned: `number` (RangeError beyond 2^53), `bigint`, or `string`. */
export type IntMode = 'number' | 'bigint' | 'string';

/** The result of one statement (the shape of @libsql/client's `ResultSet`). */
export interface ResultSet {
  /** Result column names. */
  columns: string[];
  /** Declared types of the result columns (`INTEGER`, `TEXT`, …; `''` for expressions). */
  columnTypes: string[];
  /** The rows; empty for statements that return none. */
  rows: Row[];
  /** Rows inserted, updated or deleted by the statement. */
  rowsAffected: number;
  /**
   * For a statement that changed rows, SQLite's `last_insert_rowid()` after it: the rowid of the
   * last row inserted on this connection (for an UPDATE or DELETE, that of an earlier INSERT, as
   * in @libsql/client). Undefined when the statement changed nothing.
   */
  lastInsertRowid: bigint | undefined;
  /** A JSON-safe copy: bigints as strings, blobs as base64. */
  toJSON(): unknown;
}

/**
 * An interactive transaction. Until `commit()`/`rollback()`/`close()`, other calls on the same
 * client wait; they never run inside it.
 */
export interface Transaction {
  execute(stmt: InStatement, args?: InArgs): Promise<ResultSet>;
  batch(stmts: InStatement[]): Promise<ResultSet[]>;
  executeMultiple(sql: string): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Rolls back unless committed; idempotent. */
  close(): void;
  readonly closed: boolean;
}

/**
 * Options of `Client.transaction` beyond its mode.
 *
 * @example
 * const tx = await client.transaction('write', { foreignKeys: false }); // a migration that rebuilds tables
 */
export interface TransactionOptions {
  /**
   * Foreign key enforcement during the transaction: set before it begins (inside a transaction
   * `PRAGMA foreign_keys` does nothing) and put back when it ends, however it ends. A migration
   * that drops and recreates a referenced table needs `false`, or the drop cascades. For a replica
   * client this applies on the primary, where the transaction runs.
   */
  foreignKeys?: boolean;
}

/** The asynchronous client API (the shape of @libsql/client's `Client`). */
export interface Client {
  execute(stmt: InStatement, args?: InArgs): Promise<ResultSet>;
  batch(stmts: InStatement[], mode?: TransactionMode): Promise<ResultSet[]>;
  transaction(mode?: TransactionMode, options?: TransactionOptions): Promise<Transaction>;
  executeMultiple(sql: string): Promise<void>;
  /**
   * Runs the statements in one write transaction with foreign keys off (as @libsql/client's
   * `migrate`): all of them commit, or none. For schema migrations that rebuild tables.
   */
  migrate(stmts: InStatement[]): Promise<ResultSet[]>;
  /**
   * Runs one statement and yields its rows one by one, as `execute` shapes them. Locally served
   * reads step through SQLite (the result is never held whole, whatever its size); the client's
   * connection is held meanwhile, so other calls on the client wait until the iterator ends:
   * finish it, `break` out of `for await`, or call `return()`. A statement that runs on a primary
   * is executed there and its rows are yielded from the result.
   *
   * @example
   * for await (const row of client.iterate('SELECT * FROM events WHERE day = ?', ['2024-01-01'])) {
   *   console.log(row.id);
   * }
   */
  iterate(stmt: InStatement, args?: InArgs): AsyncIterableIterator<Row>;
  sync(): Promise<unknown>;
  close(): void;
  readonly closed: boolean;
  readonly protocol: string;
  /**
   * With `syncUrl`: the primary's position after this client's last write, as text. Give it to
   * another client (`createClient({ bookmark })`, any process) and its reads are at least that
   * fresh. Undefined for a local client and before the first write.
   */
  readonly bookmark?: string;
}

/** Options of `createClient`. */
export interface Config {
  /** `file:path.db`, `file:///abs/path.db`, or `:memory:`. */
  url: string;
  /**
   * URL of a wasmlite node to replicate from (its primary, or any node of a cluster), or several:
   * an array or a comma-separated string (an extension: @libsql/client takes one URL). Writes go to
   * whichever node is the primary, found through the others and followed across failovers.
   */
  syncUrl?: string | readonly string[];
  /**
   * With `syncUrl`: how long a request sent to the primary may spend finding one (nodes refusing
   * connections, or answering that an election is under way) before it fails with
   * `PRIMARY_UNAVAILABLE`, in ms. Default 0 (every node tried once: a static primary that is down
   * fails fast) for one URL, 10000 for a list.
   */
  failoverTimeout?: number;
  /** Bearer token for the primary. */
  authToken?: string;
  /** How integers are returned (default `number`). */
  intMode?: IntMode;
  /** Busy timeout of the local database in ms. Default: 0 (a locked database fails at once with SQLITE_BUSY, as libSQL's), 5000 for a replica client. */
  timeout?: number;
  /** With `syncUrl`: a local read first waits for the client's last write to be applied (default true). */
  readYourWrites?: boolean;
  /** With `syncUrl`: how long that wait may take, in ms (default 5000). */
  readYourWritesTimeout?: number;
  /** With `syncUrl`: after that wait, read from the primary (default) or fail with ClientError `REPLICA_LAG`. */
  onReplicaLag?: 'primary' | 'error';
  /** With `syncUrl`: another client's `bookmark`; this client reads nothing older. */
  bookmark?: string;
  /** With `syncUrl`: accepted for @libsql/client compatibility; the replica follows the primary's stream continuously. */
  syncInterval?: number;
  /**
   * Offline writes (@libsql/client's `offline`: write locally, push later) are not offered: a
   * replica client sends every write to the primary and fails with `PRIMARY_UNAVAILABLE` when it
   * cannot reach one, so an acknowledged write is always on the primary. `true` is a
   * ClientError `NOT_SUPPORTED`.
   */
  offline?: false;
}
