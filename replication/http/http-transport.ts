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
import { positiveInteger } from '../../core/util/option-checks.ts';
import { ForbiddenActionError } from '../../core/client/forbidden-action-error.ts';
import { decodeResultValue, encodeArgument } from './wire-values.ts';

/**
 * Options of {@link HttpTransport}.
 *
 * @example
 * new HttpTransport({ syncUrl: 'http://127.0.0.1:7878', authToken: secret });
 */
export interface HttpTransportOptions {
  readonly syncUrl: string;
  readonly authToken?: string;
  /** A request with no answer after this long fails as unreachable, in ms (default 30000). */
  readonly timeoutMs?: number;
  /**
   * How integers in result rows are returned, as in `createClient` (default `number`: a number,
   * or a RangeError for one beyond ±2^53; `bigint`; `string`).
   */
  readonly intMode?: IntMode;
}

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
 * `/v1/transactions`).
 * Never retries: an unreachable primary is a ClientError `PRIMARY_UNREACHABLE` at once, an
 * SQLite failure there a `LibsqlError` (its `extendedCode` and `rawCode` the primary's; a
 * `LibsqlBatchError` with the statement's index for a batch; a statement the primary's authorizer
 * refused, 403 `FORBIDDEN_ACTION`, a `LibsqlError` `SQLITE_AUTH` whose cause is a
 * `ForbiddenActionError`), an ended transaction (`TRANSACTION_NOT_FOUND`/`TRANSACTION_EXPIRED`) a
 * ClientError `TRANSACTION_CLOSED`, any other error answer a ClientError `PRIMARY_ERROR`. A begin
 * that waits behind other transactions on the primary longer than `timeoutMs` fails as unreachable.
 *
 * @example
 * const transport = new HttpTransport({ syncUrl: primary.url });
 * const { result, position } = await transport.execute({ sql: 'INSERT INTO t VALUES (1)', args: [] });
 */
export class HttpTransport implements PrimaryTransport {
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #intMode: IntMode;
  readonly #inFlight = new Set<AbortController>();

  constructor(options: HttpTransportOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected the "options" argument to be an object');
    checkPrimaryAddress({ syncUrl: options.syncUrl });
    const timeoutMs = positiveInteger(options.timeoutMs ?? 30_000, 'timeoutMs');
    this.#url = options.syncUrl.replace(/\/+$/, '');
    this.#headers = { 'content-type': 'application/json' };
    if (options.authToken !== undefined) this.#headers.authorization = `Bearer ${options.authToken}`;
    this.#timeoutMs = timeoutMs;
    const intMode = options.intMode ?? 'number';
    if (intMode !== 'number' && intMode !== 'bigint' && intMode !== 'string') {
      throw new TypeError('Expected the "intMode" option to be "number", "bigint" or "string"');
    }
    this.#intMode = intMode;
  }

  async execute(stmt: NormalizedStatement): Promise<{ result: ResultSet; position: string }> {
    const body = (await this.#post('/v1/execute', encodeStatement(stmt))) as WireResult & { position: string };
    return { result: decodeResult(body, this.#intMode), position: body.position };
  }

  async batch(
    stmts: NormalizedStatement[],
    mode: TransactionMode,
  ): Promise<{ results: ResultSet[]; position: string }> {
    const body = (await this.#post('/v1/batch', { statements: stmts.map(encodeStatement), mode })) as {
      results: WireResult[];
      position: string;
    };
    return { results: body.results.map((r) => decodeResult(r, this.#intMode)), position: body.position };
  }

  async script(sql: string): Promise<{ position: string }> {
    return { position: ((await this.#post('/v1/script', { sql })) as { position: string }).position };
  }

  async transaction(mode: TransactionMode, options: TransactionOptions = {}): Promise<PrimaryTransaction> {
    const begin = options.foreignKeys === undefined ? { mode } : { mode, foreignKeys: options.foreignKeys };
    const { id } = (await this.#post('/v1/transactions', begin)) as { id: string };
    const route = `/v1/transactions/${encodeURIComponent(id)}`;
    return {
      execute: async (stmt) => {
        const body = (await this.#post(`${route}/execute`, encodeStatement(stmt))) as WireResult & { open?: boolean };
        return { result: decodeResult(body, this.#intMode), open: body.open !== false };
      },
      batch: async (stmts) =>
        (
          (await this.#post(`${route}/batch`, { statements: stmts.map(encodeStatement) })) as { results: WireResult[] }
        ).results.map((r) => decodeResult(r, this.#intMode)),
      commit: async () => ({
        position: ((await this.#post(`${route}/commit`, undefined)) as { position: string }).position,
      }),
      rollback: async () => {
        await this.#post(`${route}/rollback`, undefined);
      },
    };
  }

  /** Aborts the requests in flight (they fail as unreachable). */
  close(): void {
    for (const controller of this.#inFlight) controller.abort();
  }

  async #post(route: string, payload: unknown): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    this.#inFlight.add(controller);
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.#url}${route}`, {
        method: 'POST',
        headers: this.#headers,
        body: payload === undefined ? '' : JSON.stringify(payload),
        signal: controller.signal,
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      const reason = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
      throw new ClientError(`primary unreachable at ${this.#url}: ${reason}`, 'PRIMARY_UNREACHABLE');
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
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
  return new ClientError(`primary refused the request (${code}): ${message}`, 'PRIMARY_ERROR');
}
