import {
  createQueryId,
  IdentifierNode,
  RawNode,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type TransactionSettings,
} from 'kysely';
import { createClient, type Client } from '../../core/index.ts';
import type { WasmliteDialectConfig } from './wasmlite-dialect-config.ts';
import { WasmliteConnection } from './wasmlite-connection.ts';

/**
 * Kysely's `Driver` over a wasmlite `Client`: hands out {@link WasmliteConnection}s (kept for
 * reuse) and maps Kysely's transactions onto client transactions: `write` (BEGIN IMMEDIATE; on
 * the primary in replica mode) unless the transaction is `read only`, which runs as a client
 * `read` transaction (locally in replica mode). Savepoints are statements in that transaction.
 * Made by `WasmliteDialect`; use it directly only to wrap or extend it.
 *
 * @example
 * class TracedDriver extends WasmliteDriver {
 *   override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
 *     console.log('begin', settings.accessMode ?? 'read write');
 *     await super.beginTransaction(connection, settings);
 *   }
 * }
 * class TracedDialect extends WasmliteDialect {
 *   override createDriver() { return new TracedDriver({ client }); }
 * }
 */
export class WasmliteDriver implements Driver {
  readonly #config: WasmliteDialectConfig;
  readonly #idle: WasmliteConnection[] = [];
  #client: Client | undefined;
  #owned = false;

  constructor(config: WasmliteDialectConfig) {
    this.#config = config;
  }

  async init(): Promise<void> {
    if (this.#config.client !== undefined) {
      this.#client = this.#config.client;
      return;
    }
    const { onCreateConnection: _, client: __, ...options } = this.#config;
    // With syncUrl, createClient loads wasmlite/replication itself, on first use.
    this.#client = createClient(options);
    this.#owned = true;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#client === undefined) throw new Error('the driver is not initialized, or was destroyed');
    const connection = new WasmliteConnection(this.#client);
    await this.#config.onCreateConnection?.(connection);
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as WasmliteConnection).begin(settings.accessMode === 'read only' ? 'read' : 'write');
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WasmliteConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WasmliteConnection).rollback();
  }

  async savepoint(
    connection: DatabaseConnection,
    savepointName: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await connection.executeQuery(savepointCommand('savepoint', savepointName, compileQuery));
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    savepointName: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await connection.executeQuery(savepointCommand('rollback to', savepointName, compileQuery));
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    savepointName: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await connection.executeQuery(savepointCommand('release', savepointName, compileQuery));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as WasmliteConnection;
    // Kysely ends its transactions before releasing; one still open here was abandoned.
    if (c.inTransaction) c.reset();
    this.#idle.push(c);
  }

  async destroy(): Promise<void> {
    this.#idle.length = 0;
    if (this.#owned) this.#client?.close();
    this.#client = undefined;
  }
}

/** `<command> "<name>"`, the name quoted by the compiler as Kysely's own drivers do. */
function savepointCommand(command: string, name: string, compileQuery: QueryCompiler['compileQuery']): CompiledQuery {
  const node = RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
  return compileQuery(node, createQueryId());
}
