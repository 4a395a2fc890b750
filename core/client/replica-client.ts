import { rmSync } from 'node:fs';
import { closeEvenIfIterating, type Database, type OpenOptions } from '../database/database.ts';
import { open } from '../database/open.ts';
import { loadEngine } from '../sqlite3/engine.ts';
import { splitStatements } from '../sqlite3/split-statements.ts';
import { ClientError } from './client-error.ts';
import { ForbiddenActionError } from './forbidden-action-error.ts';
import { toBatchError, toLibsqlError } from './libsql-error.ts';
import { checkTransactionOptions, iterateRows, LocalClient, migrateWith, runBatch } from './local-client.ts';
import { RemoteSqlPolicy } from './remote-sql-policy.ts';
import { normalizeStatement, StatementRunner, type NormalizedStatement } from './statement-runner.ts';
import { primaryPositionOf, type LocalReplica, type PrimaryTransaction, type PrimaryTransport } from './transport.ts';
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
} from './types.ts';

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
  /** A directory holding only this replica (`url: ':memory:'`), removed once the client is closed. */
  readonly temporaryDirectory?: string | undefined;
}

/**
 * A {@link Client} over a local replica and its primary (`createClient({ url, syncUrl })`).
 *
 * A statement runs on the local file only if SQLite reports it read-only when prepared there and
 * the primary's {@link RemoteSqlPolicy} (SQLite's authorizer, installed on the local connection
 * too) lets it through; everything else goes to the primary: writes, statements that do not
 * prepare locally (a table the replica does not have yet), and those the policy refuses, which
 * SQLite calls read-only but which would change the connection (`PRAGMA foreign_keys = OFF`,
 * `ATTACH`): the primary refuses them in turn, and the call rejects with a `LibsqlError`
 * `SQLITE_AUTH` naming the action, as it would for any client of that primary. A batch with any
 * such statement goes to the primary whole, as one transaction. Each write's position is kept (`bookmark`) and a later local read first waits
 * until the replica has applied it. Interactive transactions: `read` ones run locally (under the same policy: a statement it refuses
 * fails there with the same `SQLITE_AUTH` error, as a read transaction cannot move to the primary
 * midway); `write`
 * and `deferred` ones run on the primary, on its writer connection (other writes to the primary,
 * this client's included, wait until the transaction ends; an idle one is rolled back by the
 * primary after its timeout), and their commit moves the bookmark. `executeMultiple` sends the
 * script to the primary, which runs it as SQLite's `exec` would (the script may begin and commit
 * transactions; one it leaves open is rolled back).
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
  /** `#runner` once it has resolved, so that a read does not wait a turn for it. */
  #openRunner: StatementRunner | undefined;
  /** Whether the replica has been bootstrapped (it stays so). */
  #bootstrapped = false;
  /** The last bookmark the replica was seen to have applied: reads at it need not wait again. */
  #reached: string | undefined;
  #reader: LocalClient | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The call made last on this client, until it has settled (see {@link #enter}). */
  #last: Turn | undefined;
  /** Write transactions open on the primary, and the releases of closed ones still in flight. */
  readonly #transactions = new Set<ReplicaWriteTransaction>();
  readonly #releases = new Set<Promise<void>>();

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
    const turn = this.#enter();
    try {
      const sqls = [s.sql];
      let runner = this.#localNow(turn, sqls);
      if (runner === undefined) {
        await this.#after(turn);
        runner = await this.#localFor(sqls);
      }
      if (runner !== undefined) return runner.run(s);
      const { result, position } = await this.#onPrimary(() => this.#transport.execute(s));
      this.#wrote(position);
      return result;
    } catch (error) {
      throw toLibsqlError(error);
    } finally {
      this.#leave(turn);
    }
  }

  async batch(stmts: InStatement[], mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    if (!Array.isArray(stmts)) throw new TypeError('Expected first argument to be an array of statements');
    if (mode !== 'write' && mode !== 'read' && mode !== 'deferred')
      throw new TypeError('Expected the transaction mode to be "write", "read" or "deferred"');
    const normalized = stmts.map((s) => normalizeStatement(s));
    this.#check();
    const turn = this.#enter();
    try {
      const sqls = normalized.map((s) => s.sql);
      let runner = mode === 'write' ? undefined : this.#localNow(turn, sqls);
      if (runner === undefined) {
        await this.#after(turn);
        runner = mode === 'write' ? undefined : await this.#localFor(sqls);
      }
      if (runner !== undefined) return runBatch(runner, 'deferred', normalized);
      const { results, position } = await this.#onPrimary(() => this.#transport.batch(normalized, mode));
      this.#wrote(position);
      return results;
    } catch (error) {
      throw toLibsqlError(error);
    } finally {
      this.#leave(turn);
    }
  }

  /**
   * A statement served locally (read-only, replica caught up) steps through the replica's file row
   * by row; anything else runs on the primary and its rows are yielded from the result.
   */
  async *iterate(stmt: InStatement, args?: InArgs): AsyncIterableIterator<Row> {
    const s = normalizeStatement(stmt, args);
    this.#check();
    const turn = this.#enter();
    let rows: Iterable<Row>;
    try {
      await this.#after(turn);
      const runner = await this.#localFor([s.sql]);
      if (runner !== undefined) {
        rows = iterateRows(runner, s, this.#options.intMode);
      } else {
        const { result, position } = await this.#onPrimary(() => this.#transport.execute(s));
        this.#wrote(position);
        rows = result.rows;
      }
    } catch (error) {
      throw toLibsqlError(error);
    } finally {
      // Settled once routed: later calls need not wait for the caller to finish iterating.
      this.#leave(turn);
    }
    try {
      yield* rows;
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  async transaction(mode: TransactionMode = 'write', options?: TransactionOptions): Promise<Transaction> {
    if (mode !== 'write' && mode !== 'read' && mode !== 'deferred')
      throw new TypeError('Expected the transaction mode to be "write", "read" or "deferred"');
    const checked = checkTransactionOptions(options);
    this.#check();
    const turn = this.#enter();
    try {
      await this.#after(turn);
      // Foreign key settings concern writes: such a transaction runs on the primary whatever its mode.
      if (mode !== 'read' || checked.foreignKeys !== undefined) {
        const remote = await this.#transport.transaction(mode, checked);
        if (this.#closed) {
          await remote.rollback().catch(() => {});
          throw new ClientError('The client is closed', 'CLIENT_CLOSED');
        }
        const tx = new ReplicaWriteTransaction(remote, {
          committed: (position) => this.#wrote(position),
          ended: (release) => this.#ended(tx, release),
        });
        this.#transactions.add(tx);
        return tx;
      }
      if ((await this.#localFor([])) === undefined) {
        throw new ClientError(
          "the local replica has not reached this client's bookmark: a read transaction cannot start yet",
          'REPLICA_LAG',
        );
      }
      this.#reader ??= this.#openReader();
      return await this.#reader.transaction('read');
    } catch (error) {
      throw toLibsqlError(error);
    } finally {
      this.#leave(turn);
    }
  }

  /** The statements in one write transaction on the primary with foreign keys off there. */
  migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return migrateWith(this, stmts);
  }

  /** Sends the script to the primary (it may write), then reads after it see what it did. */
  async executeMultiple(sql: string): Promise<void> {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    this.#check();
    const turn = this.#enter();
    try {
      await this.#after(turn);
      const { position } = await this.#onPrimary(() => this.#transport.script(sql));
      this.#wrote(position);
    } catch (error) {
      throw toLibsqlError(error);
    } finally {
      this.#leave(turn);
    }
  }

  /** Waits until the replica has applied the primary's current position; resolves with it. */
  async sync(): Promise<{ position: string }> {
    this.#check();
    const turn = this.#enter();
    try {
      await this.#after(turn);
      const position = (await this.#replica.sync()).toString();
      return { position };
    } finally {
      this.#leave(turn);
    }
  }

  /**
   * Closes the client: write transactions still open on the primary are rolled back there (and
   * the rollbacks of transactions closed just before are awaited), so the primary's writer is free
   * at once; then calls in flight to the primary fail, local reads stop, the replica stops
   * following. Returns (unlike `Client.close`'s type says) a promise that resolves once all that
   * is done and the follower's files are closed, e.g. before deleting them; calling it again
   * returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#stopListening();
    this.#closeLocal();
    for (const tx of this.#transactions) tx.close();
    const releases = [...this.#releases];
    this.#closing = Promise.allSettled(releases)
      .then(() => this.#transport.close())
      .then(() => this.#replica.close())
      .catch(() => {})
      .then(() => {
        const dir = this.#options.temporaryDirectory;
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      });
    return this.#closing;
  }

  /** A write transaction ended; `release` settles once the primary has let it go. */
  #ended(tx: ReplicaWriteTransaction, release: Promise<void>): void {
    this.#transactions.delete(tx);
    const kept = release.catch(() => {}).finally(() => this.#releases.delete(kept));
    this.#releases.add(kept);
  }

  /**
   * Starts a call's turn. Calls on one client act in the order they were made, as a local
   * client's do: a read issued after a write that is still in flight (not awaited) waits for it,
   * so it sees the row, and writes reach the primary in order.
   */
  #enter(): Turn {
    const turn: Turn = { previous: this.#last, settled: false, wake: undefined, done: undefined };
    this.#last = turn;
    return turn;
  }

  /** Waits until the call made before `turn` has settled (at once in the common case). */
  async #after(turn: Turn): Promise<void> {
    const previous = turn.previous;
    turn.previous = undefined;
    if (previous === undefined || previous.settled) return;
    previous.done ??= new Promise<void>((resolve) => (previous.wake = resolve));
    await previous.done;
    this.#check();
  }

  #leave(turn: Turn): void {
    turn.settled = true;
    turn.previous = undefined;
    turn.wake?.();
    if (this.#last === turn) this.#last = undefined;
  }

  #check(): void {
    if (this.#closed) throw new ClientError('The client is closed', 'CLIENT_CLOSED');
  }

  /**
   * Runs a call to the primary; when the primary answers it with an error, the client's reads
   * from then on wait for the position the primary was at (the error carries it).
   */
  async #onPrimary<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const position = primaryPositionOf(error);
      if (position !== undefined) this.#wrote(position);
      throw error;
    }
  }

  #wrote(position: string): void {
    this.#bookmark = position;
  }

  #closeLocal(): void {
    const runner = this.#runner;
    this.#runner = undefined;
    this.#openRunner = undefined;
    this.#reached = undefined;
    void runner?.then(
      (r) => closeEvenIfIterating(r.db),
      () => {},
    );
    this.#reader?.close();
    this.#reader = undefined;
  }

  /**
   * The local connection when `sqls` can be read there at once, in this very turn: the call made
   * before has settled, the replica is bootstrapped and open, it has applied the client's bookmark
   * (when reads wait for it), and every statement is read-only there. Otherwise undefined, and the
   * call takes the general route ({@link #after}, then {@link #localFor}). A local read thus costs
   * no await, as on a local client: with them, reads took ~1.3× a local client's.
   */
  #localNow(turn: Turn, sqls: readonly string[]): StatementRunner | undefined {
    const previous = turn.previous;
    if (previous !== undefined && !previous.settled) return undefined;
    const runner = this.#openRunner;
    if (!this.#bootstrapped || runner === undefined) return undefined;
    const target = this.#bookmark;
    if (this.#options.readYourWrites && target !== undefined && target !== this.#reached) return undefined;
    if (classify(runner, sqls) !== 'read') return undefined;
    turn.previous = undefined;
    return runner;
  }

  /**
   * The local connection if every one of `sqls` is read-only there and the replica has applied
   * the client's bookmark; `undefined` when they go to the primary: a statement that is not
   * read-only (or does not prepare, even once the replica has caught up), a replica not
   * bootstrapped in time, or a lagging one with `onReplicaLag: 'primary'`. Writes never wait for
   * the replica unless they do not prepare on it (a table it does not have yet).
   */
  async #localFor(sqls: readonly string[]): Promise<StatementRunner | undefined> {
    const timeout = this.#options.readYourWritesTimeout;
    if (!this.#bootstrapped) {
      try {
        await withTimeout(this.#replica.ready(), timeout, 'the local replica is not bootstrapped yet');
        this.#bootstrapped = true;
      } catch {
        this.#check();
        return undefined;
      }
    }
    // The common case (replica open, bookmark already reached) runs without waiting a turn.
    let runner = this.#openRunner ?? (await this.#open());
    let kind = classify(runner, sqls);
    if (kind === 'write') return undefined;
    const target = this.#bookmark;
    if (this.#options.readYourWrites && target !== undefined && target !== this.#reached) {
      try {
        await this.#replica.waitFor(target, timeout);
        this.#reached = target;
      } catch (cause) {
        this.#check();
        if (kind === 'unknown' || this.#options.onReplicaLag === 'primary') return undefined;
        throw new ClientError(
          `the replica has not reached ${target} within ${timeout} ms: ${(cause as Error).message}`,
          'REPLICA_LAG',
        );
      }
      this.#check();
      // The file may have been replaced (a re-bootstrap) while this waited.
      runner = this.#openRunner ?? (await this.#open());
    }
    if (kind === 'unknown') kind = classify(runner, sqls);
    return kind === 'read' ? runner : undefined;
  }

  /**
   * The client for local read transactions, on a connection of its own under the same policy as
   * the local reads (a refused statement fails there: a read transaction cannot move to the
   * primary midway); only the client's own `query_only` toggles are trusted.
   */
  #openReader(): LocalClient {
    let policy: RemoteSqlPolicy | undefined;
    const db = open(this.#path, this.#options.open).then((opened: Database) => {
      policy = RemoteSqlPolicy.install(opened);
      return opened;
    });
    return new LocalClient(db, this.#options.intMode, (fn) => policy!.trusted(fn));
  }

  #open(): Promise<StatementRunner> {
    this.#check();
    if (this.#runner === undefined) {
      const runner = open(this.#path, this.#options.open).then((db: Database) => {
        // Nothing may write the replica's file but the replica: the bytes must stay the primary's.
        db.exec('PRAGMA query_only = 1');
        // What the primary refuses is not read-only for routing: it is sent there, and refused.
        RemoteSqlPolicy.install(db);
        const opened = new StatementRunner(db, this.#options.intMode);
        if (this.#runner === runner) this.#openRunner = opened;
        return opened;
      });
      this.#runner = runner;
    }
    return this.#runner;
  }
}

/**
 * A `write` or `deferred` transaction of a {@link ReplicaClient}: every call goes to the primary,
 * where the transaction holds the writer connection; `commit()` hands the primary's position to
 * the client (its bookmark), so the client's next local read waits for the transaction. Kept in
 * this file as the client's private companion, as `LocalTransaction` is in local-client.ts.
 */
class ReplicaWriteTransaction implements Transaction {
  readonly #remote: PrimaryTransaction;
  readonly #events: TransactionEvents;
  #closed = false;

  constructor(remote: PrimaryTransaction, events: TransactionEvents) {
    this.#remote = remote;
    this.#events = events;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async execute(stmt: InStatement, args?: InArgs): Promise<ResultSet> {
    const s = normalizeStatement(stmt, args);
    this.#check();
    return this.#guard(
      this.#remote.execute(s).then((result) => {
        // A ROLLBACK (or COMMIT) run as a statement ended the transaction on the primary.
        if (!result.open) this.#end(Promise.resolve());
        return result.result;
      }),
    );
  }

  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    if (!Array.isArray(stmts)) throw new TypeError('Expected first argument to be an array of statements');
    const normalized = stmts.map((s) => normalizeStatement(s));
    this.#check();
    return this.#guard(this.#remote.batch(normalized));
  }

  /** Runs the script's statements one by one in the transaction (split here as SQLite's tokenizer would). */
  async executeMultiple(sql: string): Promise<void> {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    this.#check();
    for (const statement of splitStatements(await loadEngine(), sql)) await this.execute(statement);
  }

  async commit(): Promise<void> {
    this.#check();
    const commit = this.#remote.commit();
    this.#end(commit.then(() => {}));
    try {
      const { position } = await commit;
      this.#events.committed(position);
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  async rollback(): Promise<void> {
    if (this.#closed) return;
    const rollback = this.#remote.rollback();
    this.#end(rollback);
    try {
      await rollback;
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  /**
   * Rolls back unless committed. The rollback is sent at once; the client's `close()` waits for
   * it, so closing the client right after frees the primary's writer at once. (If it cannot reach
   * the primary, the primary's idle timeout rolls the transaction back.)
   */
  close(): void {
    if (this.#closed) return;
    this.#end(this.#remote.rollback());
  }

  #end(release: Promise<void>): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.ended(release);
  }

  #check(): void {
    if (this.#closed) throw new ClientError('The transaction is closed', 'TRANSACTION_CLOSED');
  }

  async #guard<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      // Ended on the primary (timed out, or rolled back by SQLite): later calls fail here at once.
      if (error instanceof ClientError && error.code === 'TRANSACTION_CLOSED') this.#end(Promise.resolve());
      throw toLibsqlError(error);
    }
  }
}

/** What a {@link ReplicaWriteTransaction} tells its client. */
interface TransactionEvents {
  /** Committed at `position`: the client's bookmark. */
  committed(position: string): void;
  /** Over; `release` settles once the primary has let the transaction go. */
  ended(release: Promise<void>): void;
}

/** One call's place in a {@link ReplicaClient}'s order. */
interface Turn {
  previous: Turn | undefined;
  settled: boolean;
  wake: (() => void) | undefined;
  done: Promise<void> | undefined;
}

/**
 * What SQLite reports once the statements are prepared locally: all read-only, one that writes
 * (or that the policy refuses: it goes to the primary too, which has the last word), or one that
 * does not prepare (the replica may not have its table yet).
 */
function classify(runner: StatementRunner, sqls: readonly string[]): 'read' | 'write' | 'unknown' {
  let unknown = false;
  for (const sql of sqls) {
    try {
      if (!runner.isReadonly(sql)) return 'write';
    } catch (error) {
      if (error instanceof ForbiddenActionError) return 'write';
      // No statement, or two in one string: the SQL's own shape, whatever the replica holds; the
      // caller gets better-sqlite3's RangeError, as from a local client, not the primary's refusal.
      if (error instanceof RangeError) throw error;
      unknown = true;
    }
  }
  return unknown ? 'unknown' : 'read';
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
