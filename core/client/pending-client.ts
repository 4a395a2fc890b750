import { ClientError } from './client-error.ts';
import type {
  Client,
  InArgs,
  InStatement,
  ResultSet,
  Row,
  Transaction,
  TransactionMode,
  TransactionOptions,
} from './types.ts';

/**
 * A {@link Client} usable at once whose real client is still being made: every call waits for it,
 * then goes to it. `createClient` returns one for a `syncUrl` while the replica backend is not
 * loaded yet (`loadReplicaBackend`, the first replica client of a process) and builds the replica
 * client once it is. If that fails, every call rejects with the error.
 *
 * @example
 * const client = new PendingClient(loadReplicaBackend().then((factory) => replicaClientFrom(factory, …)), config.bookmark);
 * await client.execute('SELECT 1'); // waits for the replica client
 */
export class PendingClient implements Client {
  readonly protocol = 'file';
  readonly #ready: Promise<Client>;
  readonly #bookmark: string | undefined;
  #real: Client | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(ready: Promise<Client>, bookmark?: string) {
    this.#bookmark = bookmark;
    this.#ready = ready.then((client) => {
      this.#real = client;
      if (this.#closed) void this.#closeReal(client);
      return client;
    });
    this.#ready.catch(() => {}); // reported by the first call
  }

  get closed(): boolean {
    return this.#closed || (this.#real?.closed ?? false);
  }

  get bookmark(): string | undefined {
    return this.#real?.bookmark ?? this.#bookmark;
  }

  async execute(stmt: InStatement, args?: InArgs): Promise<ResultSet> {
    return (await this.#client()).execute(stmt, args);
  }

  async batch(stmts: InStatement[], mode?: TransactionMode): Promise<ResultSet[]> {
    return (await this.#client()).batch(stmts, mode);
  }

  async transaction(mode?: TransactionMode, options?: TransactionOptions): Promise<Transaction> {
    return (await this.#client()).transaction(mode, options);
  }

  async executeMultiple(sql: string): Promise<void> {
    return (await this.#client()).executeMultiple(sql);
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return (await this.#client()).migrate(stmts);
  }

  async *iterate(stmt: InStatement, args?: InArgs): AsyncIterableIterator<Row> {
    yield* (await this.#client()).iterate(stmt, args);
  }

  async sync(): Promise<unknown> {
    return (await this.#client()).sync();
  }

  /** Closes the real client once it exists; resolves when it is closed (see `ReplicaClient.close`). */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#closing = this.#ready.then(
      (client) => this.#closeReal(client),
      () => {},
    );
    return this.#closing;
  }

  async #closeReal(client: Client): Promise<void> {
    await (client.close() as unknown);
  }

  async #client(): Promise<Client> {
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
    const client = await this.#ready;
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
    return client;
  }
}
