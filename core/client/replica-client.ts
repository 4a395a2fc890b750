import type { Database, OpenOptions } from '../database/database.ts';
import { open } from '../database/open.ts';
import { ClientError } from './client-error.ts';
import { LocalClient } from './local-client.ts';
import { normalizeStatement, StatementRunner, type NormalizedStatement } from './statement-runner.ts';
import type { LocalReplica, PrimaryTransport } from './transport.ts';
import type { Client, InArgs, InStatement, IntMode, ResultSet, Transaction, TransactionMode } from './types.ts';

/** Options of {@link ReplicaClient}, from `createClient`'s config. */
export interface ReplicaClientOptions {
  readonly intMode: IntMode;
  readonly open: OpenOptions;
  /** Wait for the client's own last write (or bookmark) before a local read (default true). */
  readonly readYourWrites: boolean;
  /** How long a local read waits for that, in ms. */
  readonly readYourWritesTimeout: number;
  /** On that timeout: read from the primary, or fail with ClientError `REPLICA_LAG`. */
  readonly onReplicaLag: 'primary' | 'error';
  /** A position (another client's `bookmark`) to read at least. */
  readonly bookmark: string | undefined;
}

/**
 * A {@link Client} over a local replica and its primary (`createClient({ url, syncUrl })`).
 *
 * A statement runs on the local file only if SQLite reports it read-only when prepared there;
 * everything else (and anything that does not prepare locally, e.g. a table the replica does not
 * have yet) goes to the primary; a batch with any such statement goes to the primary whole, as
 * one transaction. Each write's position is kept (`bookmark`) and a later local read first waits
 * until the replica has applied it. Interactive transactions: `read` ones run locally; others
 * throw a ClientError `NOT_SUPPORTED` for now, as does `executeMultiple`.
 *
 * @example
 * const client = createClient({ url: 'file:replica.db', syncUrl: 'http://127.0.0.1:7878' });
 * await client.execute('INSERT INTO t VALUES (1)');   // on the primary
 * await client.execute('SELECT count(*) FROM t');     // locally, after the insert is applied
 */
export class ReplicaClient implements Client {
  readonly protocol = 'file';
  readonly #path: string;
  readonly #replica: LocalReplica;
  readonly #transport: PrimaryTransport;
  readonly #options: ReplicaClientOptions;
  readonly #stopListening: () => void;
  #bookmark: string | undefined;
  #runner: Promise<StatementRunner> | undefined;
  #reader: LocalClient | undefined;
  #closed = false;

  constructor(path: string, replica: LocalReplica, transport: PrimaryTransport, options: ReplicaClientOptions) {
    this.#path = path;
    this.#replica = replica;
    this.#transport = transport;
    this.#options = Object.freeze({ ...options });
    this.#bookmark = options.bookmark;
    this.#stopListening = replica.onReplace(({ newHistory }) => {
      this.#closeLocal();
      // A position in another database's history can never be reached here.
      if (newHistory) this.#bookmark = undefined;
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The position of this client's last write (or the bookmark it was given), as text. */
  get bookmark(): string | undefined {
    return this.#bookmark;
  }

  async execute(stmt: InStatement, args?: InArgs): Promise<ResultSet> {
    const s = normalizeStatement(stmt, args);
    this.#check();
    const runner = await this.#fresh();
    if (runner !== undefined && readonly(runner, s.sql)) return runner.run(s);
    const { result, position } = await this.#transport.execute(s);
    this.#wrote(position);
    return result;
  }

  async batch(stmts: InStatement[], mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    if (!Array.isArray(stmts)) throw new TypeError('Expected first argument to be an array of statements');
    if (mode !== 'write' && mode !== 'read' && mode !== 'deferred') throw new TypeError('Expected the transaction mode to be "write", "read" or "deferred"');
    const normalized = stmts.map((s) => normalizeStatement(s));
    this.#check();
    const runner = await this.#fresh();
    if (runner !== undefined && mode !== 'write' && normalized.every((s) => readonly(runner, s.sql))) {
      runner.db.exec('BEGIN DEFERRED');
      try {
        const results = normalized.map((s) => runner.run(s));
        runner.db.exec('COMMIT');
        return results;
      } catch (error) {
        if (runner.db.inTransaction) runner.db.exec('ROLLBACK');
        throw error;
      }
    }
    const { results, position } = await this.#transport.batch(normalized, mode);
    this.#wrote(position);
    return results;
  }

  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    this.#check();
    if (mode !== 'read') {
      throw new ClientError('interactive write transactions are not supported yet against a primary: use batch()', 'NOT_SUPPORTED');
    }
    await this.#fresh();
    this.#reader ??= new LocalClient(open(this.#path, this.#options.open), this.#options.intMode);
    return this.#reader.transaction('read');
  }

  async executeMultiple(_sql: string): Promise<void> {
    throw new ClientError('executeMultiple is not supported yet against a primary: use batch()', 'NOT_SUPPORTED');
  }

  /** Waits until the replica has applied the primary's current position; resolves with it. */
  async sync(): Promise<{ position: string }> {
    this.#check();
    const position = (await this.#replica.sync()).toString();
    return { position };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening();
    this.#closeLocal();
    this.#transport.close();
    void this.#replica.close().catch(() => {});
  }

  #check(): void {
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
  }

  #wrote(position: string): void {
    this.#bookmark = position;
  }

  #closeLocal(): void {
    const runner = this.#runner;
    this.#runner = undefined;
    void runner?.then((r) => r.db.close(), () => {});
    this.#reader?.close();
    this.#reader = undefined;
  }

  /**
   * The local connection once the replica has applied the client's bookmark; `undefined` when
   * it did not in time and reads go to the primary (`onReplicaLag: 'primary'`).
   */
  async #fresh(): Promise<StatementRunner | undefined> {
    await this.#replica.ready();
    const target = this.#bookmark;
    if (this.#options.readYourWrites && target !== undefined) {
      try {
        await this.#replica.waitFor(target, this.#options.readYourWritesTimeout);
      } catch (cause) {
        if (this.#options.onReplicaLag === 'primary') return undefined;
        throw new ClientError(`the replica has not reached ${target} within ${this.#options.readYourWritesTimeout} ms: ${(cause as Error).message}`, 'REPLICA_LAG');
      }
    }
    this.#check();
    this.#runner ??= open(this.#path, this.#options.open).then((db: Database) => {
      // Nothing may write the replica's file but the replica: the bytes must stay the primary's.
      db.exec('PRAGMA query_only = 1');
      return new StatementRunner(db, this.#options.intMode);
    });
    return this.#runner;
  }
}

/** What SQLite reports once the statement is prepared locally; one that does not prepare is not. */
function readonly(runner: StatementRunner, sql: NormalizedStatement['sql']): boolean {
  try {
    return runner.isReadonly(sql);
  } catch {
    return false;
  }
}
