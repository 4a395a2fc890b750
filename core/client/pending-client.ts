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
  /** Calls made before the real client existed that have not reached it yet. */
  #waiting = 0;

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
    return real !== undefined ? real.execute(stmt, args) : this.#whenReady((client) => client.execute(stmt, args));
  }

  batch(stmts: InStatement[], mode?: TransactionMode): Promise<ResultSet[]> {
    const real = this.#open();
    return real !== undefined ? real.batch(stmts, mode) : this.#whenReady((client) => client.batch(stmts, mode));
  }

  transaction(mode?: TransactionMode, options?: TransactionOptions): Promise<Transaction> {
    const real = this.#open();
    return real !== undefined
      ? real.transaction(mode, options)
      : this.#whenReady((client) => client.transaction(mode, options));
  }

  executeMultiple(sql: string): Promise<void> {
    const real = this.#open();
    return real !== undefined ? real.executeMultiple(sql) : this.#whenReady((client) => client.executeMultiple(sql));
  }

  migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    const real = this.#open();
    return real !== undefined ? real.migrate(stmts) : this.#whenReady((client) => client.migrate(stmts));
  }

  async *iterate(stmt: InStatement, args?: InArgs): AsyncIterableIterator<Row> {
    yield* (await this.#client()).iterate(stmt, args);
  }

  sync(): Promise<unknown> {
    const real = this.#open();
    return real !== undefined ? real.sync() : this.#whenReady((client) => client.sync());
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

  /**
   * The real client once it exists, this one is not closed and no earlier call is still waiting
   * for it (calls then go to it directly, and none overtakes one made before it).
   */
  #open(): Client | undefined {
    return this.#closed || this.#waiting > 0 ? undefined : this.#real;
  }

  /** Makes `call` on the real client once it exists, counted as waiting until then. */
  #whenReady<T>(call: (client: Client) => Promise<T>): Promise<T> {
    this.#waiting++;
    return this.#client().then(
      (client) => {
        this.#waiting--;
        return call(client);
      },
      (error: unknown) => {
        this.#waiting--;
        throw error;
      },
    );
  }

  async #client(): Promise<Client> {
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
    const client = await this.#ready;
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
    return client;
  }
}
