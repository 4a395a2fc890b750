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
 * client once it is. If that fails, every call rejects with the error. Once the real client
 * exists, calls go straight to it: the awaits of the waiting path would cost every local read
 * turns of the microtask queue, a large share of its time (a read takes ~2 µs).
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

  execute(stmt: InStatement, args?: InArgs): Promise<ResultSet> {
    const real = this.#open();
    return real !== undefined ? real.execute(stmt, args) : this.#client().then((client) => client.execute(stmt, args));
  }

  batch(stmts: InStatement[], mode?: TransactionMode): Promise<ResultSet[]> {
    const real = this.#open();
    return real !== undefined ? real.batch(stmts, mode) : this.#client().then((client) => client.batch(stmts, mode));
  }

  transaction(mode?: TransactionMode, options?: TransactionOptions): Promise<Transaction> {
    const real = this.#open();
    return real !== undefined
      ? real.transaction(mode, options)
      : this.#client().then((client) => client.transaction(mode, options));
  }

  executeMultiple(sql: string): Promise<void> {
    const real = this.#open();
    return real !== undefined
      ? real.executeMultiple(sql)
      : this.#client().then((client) => client.executeMultiple(sql));
  }

  migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    const real = this.#open();
    return real !== undefined ? real.migrate(stmts) : this.#client().then((client) => client.migrate(stmts));
  }

  async *iterate(stmt: InStatement, args?: InArgs): AsyncIterableIterator<Row> {
    yield* (await this.#client()).iterate(stmt, args);
  }

  sync(): Promise<unknown> {
    const real = this.#open();
    return real !== undefined ? real.sync() : this.#client().then((client) => client.sync());
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

  /** The real client once it exists and this one is not closed (calls then go to it directly). */
  #open(): Client | undefined {
    return this.#closed ? undefined : this.#real;
  }

  async #client(): Promise<Client> {
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
    const client = await this.#ready;
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
    return client;
  }
}
