import type { NormalizedStatement } from './statement-runner.ts';
import { parseSyncUrls } from './sync-urls.ts';
import type { IntMode, ResultSet, TransactionMode, TransactionOptions } from './types.ts';

/**
 * The primary as a replica client sees it: runs statements and batches there and says where the
 * primary is after them (a position string, opaque to core, e.g. `0000000000000007/ab12…`).
 * Implemented by `HttpTransport` in `wasmlite/replication`.
 *
 * Failures: a ClientError `PRIMARY_UNAVAILABLE` when no primary could be reached before the
 * transport's deadline (the request was not sent: it certainly did not run), `WRITE_OUTCOME_UNKNOWN`
 * when it was sent and the connection died before the answer (it may have committed), a
 * `SqliteError` when SQLite refused the statement there, a ClientError `PRIMARY_ERROR` (or a more
 * precise code, `STATEMENT_TIMEOUT`, `RESPONSE_TOO_LARGE`) for anything else the primary answered.
 *
 * @example
 * const { result, position } = await transport.execute({ sql: 'INSERT INTO t VALUES (?)', args: [1] });
 */
export interface PrimaryTransport {
  execute(stmt: NormalizedStatement): Promise<{ result: ResultSet; position: string }>;
  /** One transaction on the primary: all statements commit, or none. */
  batch(stmts: NormalizedStatement[], mode: TransactionMode): Promise<{ results: ResultSet[]; position: string }>;
  /**
   * Begins an interactive transaction on the primary (waiting while another one is open there).
   * A ClientError `TRANSACTION_CLOSED` from its methods once the primary has ended it (committed,
   * rolled back, or rolled back after its idle timeout).
   */
  transaction(mode: TransactionMode, options?: TransactionOptions): Promise<PrimaryTransaction>;
  /** Runs a script of statements in order, as `executeMultiple` does; resolves with the position after it. */
  script(sql: string): Promise<{ position: string }>;
  close(): void;
}

/**
 * An interactive transaction open on the primary (see {@link PrimaryTransport.transaction}).
 *
 * @example
 * const tx = await transport.transaction('write');
 * await tx.execute({ sql: 'INSERT INTO t VALUES (?)', args: [1] });
 * const { position } = await tx.commit();
 */
export interface PrimaryTransaction {
  /**
   * Runs one statement in the transaction; `open` is false when the statement ended it (a
   * `ROLLBACK`, which libSQL accepts inside an interactive transaction).
   */
  execute(stmt: NormalizedStatement): Promise<{ result: ResultSet; open: boolean }>;
  /** All statements stay in the transaction, or (on the first failure) none; it stays open. */
  batch(stmts: NormalizedStatement[]): Promise<ResultSet[]>;
  /** Commits; resolves with the primary's position after it. The transaction is over either way. */
  commit(): Promise<{ position: string }>;
  rollback(): Promise<void>;
}

/**
 * The local replica as a replica client sees it: a file kept level with the primary.
 * Implemented by `ReplicaFollower` in `wasmlite/replication`.
 *
 * @example
 * await replica.ready();
 * await replica.waitFor(bookmark, 2000); // rejects if not applied in time
 */
export interface LocalReplica {
  /** Resolves once the local file exists and can be read. */
  ready(): Promise<void>;
  /** The last applied position, as text. */
  position(): { toString(): string };
  /** Resolves once `position` is applied; rejects after `timeoutMs`. */
  waitFor(position: string, timeoutMs: number): Promise<unknown>;
  /** Resolves with the primary's current position once it is applied. */
  sync(): Promise<{ toString(): string }>;
  /**
   * Called just before the local file is replaced (a re-bootstrap): readers must close it.
   * `newHistory` is true when the primary is another database (positions before it mean nothing).
   */
  onReplace(listener: (event: { readonly newHistory: boolean }) => void): () => void;
  close(): Promise<void>;
}

/** What `createClient` needs for a replica: where it reads and where it writes. */
export interface ReplicaBackend {
  readonly replica: LocalReplica;
  readonly transport: PrimaryTransport;
}

/** Options a {@link ReplicaBackendFactory} is given by `createClient`. */
export interface ReplicaBackendOptions {
  readonly path: string;
  /** The first of `syncUrls`: the node the follower starts from. */
  readonly syncUrl: string;
  /** Every node given in `syncUrl` ({@link parseSyncUrls}): the transport finds the primary among them. */
  readonly syncUrls: readonly string[];
  /** How long a request may look for a primary before it fails with `PRIMARY_UNAVAILABLE`, in ms. */
  readonly failoverTimeout?: number;
  readonly authToken?: string;
  readonly syncInterval?: number;
  /** How the transport returns integers in rows the primary sends (default `number`). */
  readonly intMode?: IntMode;
}

/**
 * Builds the replica side of a client: `replication/http/replica-backend.ts`, which
 * `createClient` loads itself (see `loadReplicaBackend`).
 *
 * @example
 * const { replica, transport } = factory({ path: 'replica.db', syncUrl: 'http://127.0.0.1:7878' });
 */
export type ReplicaBackendFactory = (options: ReplicaBackendOptions) => ReplicaBackend;

/**
 * Checks the options that say where the primary is, before anything is made: `syncUrl` an http://
 * or https:// URL or a list of them ({@link parseSyncUrls}), `authToken` (when given) a non-empty
 * string. `createClient` runs it so that bad ones throw at once, even while the replica backend is
 * still loading; the backend's parts (`HttpTransport`, `ReplicaFollower`) run it too.
 *
 * @example
 * checkPrimaryAddress({ syncUrl: 'ftp://nowhere' }); // TypeError
 */
export function checkPrimaryAddress(options: { readonly syncUrl?: unknown; readonly authToken?: unknown }): void {
  parseSyncUrls(options.syncUrl);
  if (options.authToken !== undefined && (typeof options.authToken !== 'string' || options.authToken === '')) {
    throw new TypeError('Expected the "authToken" option to be a non-empty string');
  }
}

const primaryPositions = new WeakMap<object, string>();

/**
 * Marks an error the primary answered with its position at that moment; returns the error. A
 * replica client moves its bookmark there, so that a read after a failed write (a constraint
 * violation, say) sees what the write collided with.
 *
 * @example
 * throw withPrimaryPosition(new SqliteError(message, code, rawCode), body.position);
 */
export function withPrimaryPosition<E extends object>(error: E, position: unknown): E {
  if (typeof position === 'string' && position !== '') primaryPositions.set(error, position);
  return error;
}

/** The primary's position an error was marked with by {@link withPrimaryPosition}, if any. */
export function primaryPositionOf(error: unknown): string | undefined {
  return error !== null && typeof error === 'object' ? primaryPositions.get(error) : undefined;
}
