import { ClientError } from '../../core/client/client-error.ts';
import { toBatchError, toLibsqlError } from '../../core/client/libsql-error.ts';
import { shapeRows } from '../../core/client/libsql-row.ts';
import { ResultSetImpl } from '../../core/client/result-set.ts';
import type { NormalizedStatement } from '../../core/client/statement-runner.ts';
import {
  checkPrimaryAddress,
  withPrimaryPosition,
  type PrimaryTransaction,
  type PrimaryTransport,
} from '../../core/client/transport.ts';
import type { IntMode, ResultSet, TransactionMode, TransactionOptions } from '../../core/client/types.ts';
import { SqliteError } from '../../core/database/sqlite-error.ts';
import { nonNegativeInteger, positiveInteger } from '../../core/util/option-checks.ts';
import { ForbiddenActionError } from '../../core/client/forbidden-action-error.ts';
import { parseSyncUrls } from '../../core/client/sync-urls.ts';
import { ClusterRoute, type RoutedAnswer } from './cluster-route.ts';
import { decodeResultValue, encodeArgument } from './wire-values.ts';

/**
 * Options of {@link HttpTransport}.
 *
 * @example
 * new HttpTransport({ syncUrl: 'http://127.0.0.1:7878', authToken: secret });
 */
export interface HttpTransportOptions {
  /** Any node of the cluster, or several (an array or a comma-separated string): see `parseSyncUrls`. */
  readonly syncUrl: string | readonly string[];
  readonly authToken?: string;
  /**
   * A request with no answer after this long fails, in ms (default 30000): `PRIMARY_UNAVAILABLE`
   * if it was not sent yet, `WRITE_OUTCOME_UNKNOWN` if it was.
   */
  readonly timeoutMs?: number;
  /**
   * How long a request may look for a primary (nodes refusing connections, or answering that an
   * election is under way) before it fails with `PRIMARY_UNAVAILABLE`, in ms (default 0: each
   * node is tried once).
   */
  readonly failoverTimeoutMs?: number;
  /**
   * How integers in result rows are returned, as in `createClient` (default `number`: a number,
   * or a RangeError for one beyond ±2^53; `bigint`; `string`).
   */
  readonly intMode?: IntMode;
}

/** A write the primary de-duplicates by its `Idempotency-Key`: sent again after a lost answer. */
const RESENDABLE = { idempotent: true, resend: true } as const;

interface WireResult {
  columns: string[];
  columnTypes: string[];
  rows: unknown[][];
  rowsAffected: number;
  lastInsertRowid: string | null;
}

function encodeStatement({ sql, args }: NormalizedStatement): unknown {
  const only = args[0];
  if (
    args.length === 1 &&
    only !== null &&
    typeof only === 'object' &&
    !(only instanceof Uint8Array) &&
    !(only instanceof ArrayBuffer)
  ) {
    return { sql, args: Object.fromEntries(Object.entries(only).map(([k, v]) => [k, encodeArgument(v)])) };
  }
  return { sql, args: args.map(encodeArgument) };
}

function decodeResult(wire: WireResult, intMode: IntMode): ResultSet {
  const rows = wire.rows.map((row) => row.map((cell, i) => decodeResultValue(cell, intMode, i)));
  return new ResultSetImpl(
    wire.columns,
    wire.columnTypes,
    shapeRows(rows, wire.columns),
    wire.rowsAffected,
    wire.lastInsertRowid === null ? undefined : BigInt(wire.lastInsertRowid),
  );
}

/**
 * The primary over its HTTP protocol (replication/PROTOCOL.md, `/v1/execute`, `/v1/batch` and
 * `/v1/transactions`), found among the given nodes and followed across failovers by a
 * {@link ClusterRoute} (307 `NOT_PRIMARY` followed, other nodes tried on a refused connection or
 * 503 until `failoverTimeoutMs`, `Wasmlite-Epoch` sent and tracked). Connections are kept alive
 * and independent requests run side by side, each on a connection of its own.
 *
 * Each `execute`, `batch` and `script` carries an `Idempotency-Key`, the same on every node it is
 * tried on. The primary runs an `execute` or `batch` at most once per key and answers a retry
 * with the first answer, so one whose answer was lost (the connection died, the primary failed
 * over) is sent again, transparently, until `failoverTimeoutMs`; past it, or for a `script`
 * (which may commit several transactions and is not de-duplicated), a lost answer is a
 * ClientError `WRITE_OUTCOME_UNKNOWN` for the caller to resolve. A retry whose first answer was
 * too large for the primary to keep fails with a ClientError `ALREADY_APPLIED` (it was applied).
 * A transaction's commit is keyed and sent again too, to the node the transaction is on only.
 *
 * Failures: no primary found in time, a ClientError `PRIMARY_UNAVAILABLE` (not sent); the
 * connection lost after sending, `WRITE_OUTCOME_UNKNOWN`; an SQLite failure there a `LibsqlError`
 * (its `extendedCode` and `rawCode` the primary's; a `LibsqlBatchError` with the statement's index
 * for a batch; a statement the primary's authorizer refused, 403 `FORBIDDEN_ACTION`, a
 * `LibsqlError` `SQLITE_AUTH` whose cause is a `ForbiddenActionError`); an ended transaction
 * (`TRANSACTION_NOT_FOUND`/`TRANSACTION_EXPIRED`) a ClientError `TRANSACTION_CLOSED`; the primary's
 * limits, `STATEMENT_TIMEOUT` and `RESPONSE_TOO_LARGE`; any other error answer `PRIMARY_ERROR`.
 * An interactive transaction stays on the node that began it: if that node goes, so does it.
 *
 * @example
 * const transport = new HttpTransport({ syncUrl: [nodeA.url, nodeB.url], failoverTimeoutMs: 10_000 });
 * const { result, position } = await transport.execute({ sql: 'INSERT INTO t VALUES (1)', args: [] });
 */
export class HttpTransport implements PrimaryTransport {
  readonly #route: ClusterRoute;
  readonly #intMode: IntMode;

  constructor(options: HttpTransportOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected the "options" argument to be an object');
    checkPrimaryAddress({ syncUrl: options.syncUrl });
    const timeoutMs = positiveInteger(options.timeoutMs ?? 30_000, 'timeoutMs');
    const failoverTimeoutMs = nonNegativeInteger(options.failoverTimeoutMs ?? 0, 'failoverTimeoutMs');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.authToken !== undefined) headers.authorization = `Bearer ${options.authToken}`;
    this.#route = new ClusterRoute({ nodes: parseSyncUrls(options.syncUrl), headers, timeoutMs, failoverTimeoutMs });
    const intMode = options.intMode ?? 'number';
    if (intMode !== 'number' && intMode !== 'bigint' && intMode !== 'string') {
      throw new TypeError('Expected the "intMode" option to be "number", "bigint" or "string"');
    }
    this.#intMode = intMode;
  }

  async execute(stmt: NormalizedStatement): Promise<{ result: ResultSet; position: string }> {
    const body = (await this.#post('/v1/execute', encodeStatement(stmt), RESENDABLE)) as WireResult & {
      position: string;
    };
    return { result: decodeResult(body, this.#intMode), position: body.position };
  }

  async batch(
    stmts: NormalizedStatement[],
    mode: TransactionMode,
  ): Promise<{ results: ResultSet[]; position: string }> {
    const body = (await this.#post('/v1/batch', { statements: stmts.map(encodeStatement), mode }, RESENDABLE)) as {
      results: WireResult[];
      position: string;
    };
    return { results: body.results.map((r) => decodeResult(r, this.#intMode)), position: body.position };
  }

  async script(sql: string): Promise<{ position: string }> {
    return {
      position: ((await this.#post('/v1/script', { sql }, { idempotent: true })) as { position: string }).position,
    };
  }

  async transaction(mode: TransactionMode, options: TransactionOptions = {}): Promise<PrimaryTransaction> {
    const begin = options.foreignKeys === undefined ? { mode } : { mode, foreignKeys: options.foreignKeys };
    const begun = await this.#route.post('/v1/transactions', JSON.stringify(begin));
    const { id } = this.#answer(begun) as { id: string };
    const route = `/v1/transactions/${encodeURIComponent(id)}`;
    // The transaction lives on the node that began it.
    const post = async (path: string, payload: unknown, options = {}) =>
      this.#answer(
        await this.#route.postTo(
          begun.node,
          `${route}${path}`,
          payload === undefined ? '' : JSON.stringify(payload),
          options,
        ),
      );
    return {
      execute: async (stmt) => {
        const body = (await post('/execute', encodeStatement(stmt))) as WireResult & { open?: boolean };
        return { result: decodeResult(body, this.#intMode), open: body.open !== false };
      },
      batch: async (stmts) =>
        ((await post('/batch', { statements: stmts.map(encodeStatement) })) as { results: WireResult[] }).results.map(
          (r) => decodeResult(r, this.#intMode),
        ),
      commit: async () => ({
        position: ((await post('/commit', undefined, RESENDABLE)) as { position: string }).position,
      }),
      rollback: async () => {
        await post('/rollback', undefined);
      },
    };
  }

  /** The highest `Wasmlite-Epoch` a node answered with (0 before any). */
  get epoch(): bigint {
    return this.#route.epoch;
  }

  /** Aborts the requests in flight and closes the kept-alive connections. */
  close(): void {
    this.#route.close();
  }

  async #post(route: string, payload: unknown, options: { idempotent: boolean; resend?: boolean }): Promise<unknown> {
    return this.#answer(await this.#route.post(route, JSON.stringify(payload), options));
  }

  /** The body of a 200 answer; any other answer as the error it stands for. */
  #answer({ status, text }: RoutedAnswer): unknown {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ClientError(`the primary answered ${status} with a body that is not JSON`, 'PRIMARY_ERROR');
    }
    if (status === 200) return body;
    const { error, position } = body as {
      error?: { code?: unknown; rawCode?: unknown; message?: unknown; statementIndex?: unknown };
      position?: unknown;
    };
    const failure = errorFromAnswer(status, error);
    const index = error?.statementIndex;
    throw withPrimaryPosition(
      Number.isSafeInteger(index) ? (toBatchError(failure, index as number) as Error) : failure,
      position,
    );
  }
}

/**
 * The client error for a primary's error answer: an SQLite failure as a LibsqlError (the
 * primary's SqliteError, rebuilt, as its cause), an ended transaction as a ClientError
 * `TRANSACTION_CLOSED`, anything else a ClientError `PRIMARY_ERROR`.
 */
function errorFromAnswer(
  status: number,
  error: { code?: unknown; rawCode?: unknown; message?: unknown } | undefined,
): Error {
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${status}`;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  if (code.startsWith('SQLITE_')) {
    const rawCode = Number.isSafeInteger(error?.rawCode) ? (error!.rawCode as number) : 0;
    return toLibsqlError(new SqliteError(message, code, rawCode)) as Error;
  }
  // Refused by the primary's authorizer: the same error a local refusal is (SQLITE_AUTH, naming the action).
  if (code === 'FORBIDDEN_ACTION') {
    const action =
      typeof (error as { action?: unknown }).action === 'string' ? (error as { action: string }).action : 'unknown';
    return toLibsqlError(new ForbiddenActionError(action, message)) as Error;
  }
  if (code === 'TRANSACTION_NOT_FOUND' || code === 'TRANSACTION_EXPIRED') {
    return new ClientError(`the transaction is over on the primary (${code}): ${message}`, 'TRANSACTION_CLOSED');
  }
  if (code === 'TRANSACTION_CLOSED') return new ClientError(message, 'TRANSACTION_CLOSED');
  if (code === 'STATEMENT_TIMEOUT' || code === 'RESPONSE_TOO_LARGE' || code === 'ALREADY_APPLIED')
    return new ClientError(message, code);
  return new ClientError(`primary refused the request (${code}): ${message}`, 'PRIMARY_ERROR');
}
