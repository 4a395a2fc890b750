import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Position } from '../log/index.ts';
import type { LogRetention } from '../primary/log-retention.ts';
import type { PrimaryDatabase } from '../primary/primary-database.ts';
import { recordedIdempotencyKey } from '../primary/idempotency-key.ts';
import { RequestError } from '../primary/request-error.ts';
import { failedStatementIndex } from '../primary/statement-executor.ts';
import { ReplicaTracker } from '../primary/replica-tracker.ts';
import type { EngineThread } from './engine-thread.ts';
import type { EngineCall, EngineReply } from './engine-messages.ts';
import { errorResponse } from './error-status.ts';
import { decodeBatch, decodeScript, decodeStatement, decodeTransactionBegin } from './json-values.ts';
import { EPOCH_HEADER } from './feed-headers.ts';
import { streamLog } from './log-stream.ts';
import { streamSnapshot } from './snapshot-stream.ts';
import { IDEMPOTENCY_HEADER } from './cluster-route.ts';
import { IdempotentWrites } from './idempotent-writes.ts';
import { PrimaryMetrics } from './primary-metrics.ts';
import type { TokenAuth } from './token-auth.ts';

/**
 * Options of {@link PrimaryServer}.
 *
 * @example
 * const options = { auth, maxBodyBytes: 8 << 20, heartbeatMs: 5000, retention, durability: 'async' };
 * new PrimaryServer(primary, engine, { ...options, quorumTimeoutMs: 10_000 });
 */
export interface PrimaryServerOptions {
  readonly auth: TokenAuth;
  /** Largest request body accepted; larger gets 413. */
  readonly maxBodyBytes: number;
  /** Heartbeat interval of idle log streams. */
  readonly heartbeatMs: number;
  /** Told which records each log stream still has to send, so compaction keeps them. */
  readonly retention: LogRetention;
  /**
   * `async`: a write is acknowledged once it is in the primary's log, durably. `quorum`: also
   * once a replica has reported it applied durably (`POST /v1/ack`).
   */
  readonly durability: Durability;
  /** In `quorum` mode, how long a write waits for a replica before it fails with 503 `QUORUM_TIMEOUT`. */
  readonly quorumTimeoutMs: number;
  /** The term's epoch, sent in `Wasmlite-Epoch` (default 1). */
  readonly epoch?: bigint;
  /** Whether this primary may still acknowledge writes (see `PrimaryOptions.mayAcknowledge`). */
  readonly mayAcknowledge?: () => boolean;
  /** This primary's URL for `/health` (default the listening URL). */
  readonly advertisedUrl?: string | undefined;
  /** The `cluster` field of `/status`, for a primary in a failover cluster. */
  readonly clusterStatus?: (() => Promise<unknown>) | undefined;
  /** The archiver's state (`startPrimary({ archive })`), shown in `/status` and `/metrics`. */
  readonly archive?: ArchiveReporter;
}

/**
 * What the server shows of a continuous backup: its `status()` as `/status`'s `archive`, its
 * `metrics()` (Prometheus lines) appended to `/metrics`.
 *
 * @example
 * new PrimaryServer(primary, { ...options, archive: { status: () => archiver.status(), metrics: () => archiver.metrics() } });
 */
export interface ArchiveReporter {
  status(): object | null;
  metrics(): string;
}

/** Routes that run statements: only the primary takes them. */
const STATEMENT_ROUTE = /^\/v1\/(execute|batch|script|transactions)(\/|$)/;

/** When the primary acknowledges a write: see {@link PrimaryServerOptions.durability}. */
export type Durability = 'async' | 'quorum';

const TRANSACTION_ROUTE = /^\/v1\/transactions\/([^/]+)\/(execute|batch|commit|rollback)$/;

/**
 * The primary's HTTP server (protocol in replication/PROTOCOL.md): statements, batches,
 * interactive transactions, the log stream, snapshots, health, status and metrics over
 * `node:http`. Every statement is sent to the engine worker ({@link EngineThread}), where the
 * writer connection, the read-only connections a read token's SQL runs on, interactive
 * transactions and snapshots live; this thread only parses, authenticates, waits (for quorum)
 * and answers, so `/health`, `/status`, `/metrics`, replicas' reports and log streams answer
 * while a statement runs. Remote SQL is compiled under SQLite's authorizer (`RemoteSqlPolicy`),
 * whose refusals are 403 `FORBIDDEN_ACTION`. Every request's failure is a JSON
 * `{ error: { code, message } }` with the status `errorResponse` gives its code; none takes the
 * server down.
 *
 * @example
 * const options = { auth, maxBodyBytes: 8 << 20, heartbeatMs: 5000, retention, durability: 'async' };
 * const server = new PrimaryServer(primary, engine, { ...options, quorumTimeoutMs: 10_000 });
 * await server.listen('127.0.0.1', 0);
 */
export class PrimaryServer {
  readonly #primary: PrimaryDatabase;
  readonly #options: Readonly<PrimaryServerOptions>;
  /** Where all SQL runs: the engine worker. */
  readonly #engine: EngineThread;
  readonly #metrics = new PrimaryMetrics();
  readonly #server: Server;
  readonly #stopCounting: () => void;
  readonly #replicas: ReplicaTracker;
  readonly #epoch: bigint;
  readonly #mayAcknowledge: () => boolean;
  #url: string | undefined;
  /** Keyed writes, each run at most once (`Idempotency-Key`, PROTOCOL.md). */
  readonly #writes: IdempotentWrites;
  #streams = 0;

  constructor(primary: PrimaryDatabase, engine: EngineThread, options: PrimaryServerOptions) {
    this.#primary = primary;
    this.#engine = engine;
    this.#options = Object.freeze({ ...options });
    this.#epoch = options.epoch ?? 1n;
    this.#mayAcknowledge = options.mayAcknowledge ?? (() => true);
    this.#url = options.advertisedUrl;
    this.#writes = new IdempotentWrites(primary.keys);
    // A replica not heard of for three heartbeats (it reports on each) is gone.
    this.#replicas = new ReplicaTracker(primary.position(), 3 * options.heartbeatMs, (txid) =>
      primary.log.recordProof(txid),
    );
    this.#stopCounting = primary.onRecord((record) => {
      this.#metrics.record(record);
      this.#replicas.committed(record);
    });
    this.#server = createServer((req, res) => {
      // Replicas' reports are counted apart: they come on their own, not from a user's request.
      const ack = req.url === '/v1/ack';
      res.on('finish', () => (ack ? this.#metrics.ack(res.statusCode) : this.#metrics.request(res.statusCode)));
      res.setHeader(EPOCH_HEADER, this.#epoch.toString());
      // A client that goes away before its answer has its statement interrupted in the engine.
      const gone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      this.#handle(req, res, gone.signal).catch((error: unknown) => this.#fail(res, error));
    });
    // HTTP that node:http cannot parse never reaches #handle: answer it in JSON like any error.
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      // The request line counts toward the header limit, so a 100 KB URL lands here too.
      const [status, reason, code, message] =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? [
              431,
              'Request Header Fields Too Large',
              'HEADERS_TOO_LARGE',
              'the request line and headers are larger than the server accepts',
            ]
          : [400, 'Bad Request', 'BAD_HTTP', `the request is not valid HTTP (${error.code ?? error.message})`];
      const body = JSON.stringify({ error: { code, message } });
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
  }

  /** Starts listening; resolves with the base URL. */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        if (address === null || typeof address === 'string') return reject(new Error('the server has no TCP address'));
        const name = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        const url = `http://${name}:${address.port}`;
        this.#url ??= url;
        resolve(url);
      });
    });
  }

  /** Stops accepting connections and ends every open one (log streams included). */
  close(): Promise<void> {
    this.#stopCounting();
    this.#replicas.close();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, gone: AbortSignal): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://primary');
    const route = `${req.method} ${url.pathname}`;
    if (req.method === 'POST' && STATEMENT_ROUTE.test(url.pathname)) this.#checkTerm(req);
    switch (route) {
      case 'GET /health': {
        const failure = this.#primary.failure;
        // Damaged log records are said, not failed: the database is intact and serves on.
        const logDamage = this.#primary.logDamage.report();
        const damage = logDamage === undefined ? {} : { logDamage };
        if (failure !== undefined)
          return json(res, 503, {
            ok: false,
            position: this.#primary.position().toString(),
            error: { code: 'CAPTURE_STOPPED', message: failure.message },
            ...damage,
          });
        return json(res, 200, {
          ok: true,
          role: this.#mayAcknowledge() ? 'primary' : 'candidate',
          epoch: this.#epoch.toString(),
          primaryUrl: this.#mayAcknowledge() ? (this.#url ?? null) : null,
          position: this.#primary.position().toString(),
          ...damage,
        });
      }
      case 'GET /status': {
        this.#options.auth.check(req.headers.authorization);
        const log = this.#primary.log;
        return json(res, 200, {
          position: this.#primary.position().toString(),
          dbId: this.#primary.dbId,
          log: {
            firstTxid: log.firstTxid()?.toString() ?? null,
            lastTxid: log.lastPosition()?.txid.toString() ?? null,
          },
          logFirstTxid: log.firstTxid()?.toString() ?? null,
          logDamage: this.#primary.logDamage.report() ?? null,
          durability: this.#options.durability,
          streams: this.#streams,
          replicas: this.#replicas.list(),
          archive: this.#options.archive?.status() ?? null,
          ...(this.#options.clusterStatus === undefined ? {} : { cluster: await this.#options.clusterStatus() }),
        });
      }
      case 'GET /metrics':
        this.#options.auth.check(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(
          this.#metrics.render(this.#streams, this.#replicas.list(), this.#primary.logDamage.report()?.records) +
            (this.#options.archive?.metrics() ?? ''),
        );
        return;
      case 'POST /v1/execute': {
        const access = this.#options.auth.check(req.headers.authorization);
        const key = this.#idempotencyKey(req);
        const statement = decodeStatement(await this.#body(req), 'body');
        return this.#write(res, { op: 'execute', access, statement }, access === 'write' ? key : undefined, gone);
      }
      case 'POST /v1/batch': {
        const access = this.#options.auth.check(req.headers.authorization);
        const key = this.#idempotencyKey(req);
        const { statements, mode } = decodeBatch(await this.#body(req));
        const call = { op: 'batch', access, statements, mode: mode ?? 'deferred' } as const;
        return this.#write(res, call, access === 'write' ? key : undefined, gone);
      }
      case 'POST /v1/script': {
        const access = this.#options.auth.check(req.headers.authorization);
        // Checked, not recorded: a script may commit several transactions (PROTOCOL.md).
        this.#idempotencyKey(req);
        if (access === 'read') throw new RequestError('READ_ONLY_TOKEN', 'a read token cannot run a script');
        const { sql } = decodeScript(await this.#body(req));
        return this.#answer(res, await this.#engine.call({ op: 'script', sql }, gone));
      }
      case 'GET /v1/log': {
        this.#options.auth.check(req.headers.authorization);
        const from = url.searchParams.get('from');
        if (from === null || !/^\d{1,20}$/.test(from) || BigInt(from) < 1n) {
          throw new RequestError('BAD_REQUEST', 'Expected the "from" parameter to be a positive integer txid');
        }
        streamLog(
          res,
          this.#primary,
          this.#options.retention,
          BigInt(from),
          this.#options.heartbeatMs,
          this.#options.durability,
          () => this.#streams--,
        );
        this.#streams++;
        return;
      }
      case 'GET /v1/snapshot': {
        this.#options.auth.check(req.headers.authorization);
        try {
          await streamSnapshot(res, this.#primary, this.#engine);
        } catch (error) {
          // Once the headers are out, the only way to say "incomplete" is to cut the connection.
          if (!res.headersSent) throw error;
          res.destroy();
        }
        return;
      }
      case 'POST /v1/ack': {
        this.#options.auth.checkReplica(req.headers.authorization);
        this.#replicas.report(await this.#body(req));
        return json(res, 200, {});
      }
      case 'POST /v1/transactions': {
        const access = this.#options.auth.check(req.headers.authorization);
        const { mode, foreignKeys } = decodeTransactionBegin(await this.#body(req, true));
        const owner = this.#options.auth.holder(req.headers.authorization);
        return this.#answer(
          res,
          await this.#engine.call({ op: 'begin', mode, access, foreignKeys, owner }, gone),
          false,
        );
      }
      default: {
        const match = req.method === 'POST' ? TRANSACTION_ROUTE.exec(url.pathname) : null;
        if (match === null) throw new RequestError('NOT_FOUND', `no route for ${req.method} ${url.pathname}`);
        this.#options.auth.check(req.headers.authorization);
        return this.#transaction(
          req,
          res,
          gone,
          decodeTransactionId(match[1]!),
          this.#options.auth.holder(req.headers.authorization),
          match[2]!,
        );
      }
    }
  }

  async #transaction(
    req: IncomingMessage,
    res: ServerResponse,
    gone: AbortSignal,
    id: string,
    owner: string,
    action: string,
  ): Promise<void> {
    switch (action) {
      case 'execute': {
        const statement = decodeStatement(await this.#body(req), 'body');
        return this.#answer(res, await this.#engine.call({ op: 'executeIn', tx: id, owner, statement }, gone));
      }
      case 'batch': {
        const { statements } = decodeBatch(await this.#body(req));
        return this.#answer(res, await this.#engine.call({ op: 'batchIn', tx: id, owner, statements }, gone));
      }
      case 'commit': {
        const key = this.#idempotencyKey(req);
        await this.#body(req, true);
        return this.#write(res, { op: 'commit', tx: id, owner }, key, gone);
      }
      default:
        await this.#body(req, true);
        return this.#answer(res, await this.#engine.call({ op: 'rollback', tx: id, owner }, gone));
    }
  }

  /** The request's `Idempotency-Key` as recorded for its token (400 `BAD_IDEMPOTENCY_KEY` if malformed). */
  #idempotencyKey(req: IncomingMessage): string | undefined {
    const holder = this.#options.auth.holder(req.headers.authorization);
    // Each value apart (node joins a repeated header's values with ', '); not every runtime has headersDistinct.
    const values = req.headersDistinct?.[IDEMPOTENCY_HEADER] ?? req.headers[IDEMPOTENCY_HEADER];
    return recordedIdempotencyKey(values, holder);
  }

  /**
   * Runs a write request (`execute`, `batch` or a transaction's `commit`) and answers it. With a `key` it runs at most once
   * ({@link IdempotentWrites}): a key the log holds already is answered with the first answer and
   * its position (header `Idempotent-Replayed: true`), or 409 `ALREADY_APPLIED` when that answer
   * was too large to keep.
   */
  async #write(
    res: ServerResponse,
    call: Extract<EngineCall, { op: 'execute' | 'batch' | 'commit' }>,
    key: string | undefined,
    gone: AbortSignal,
  ): Promise<void> {
    if (key === undefined) return this.#answer(res, await this.#engine.call(call, gone));
    const outcome = await this.#writes.run(key, () => this.#engine.call({ ...call, idempotencyKey: key }, gone));
    if ('ran' in outcome) return this.#answer(res, outcome.ran);
    const { position, result } = outcome.applied;
    if (result === undefined) {
      throw new RequestError(
        'ALREADY_APPLIED',
        `the request with this Idempotency-Key was applied at ${position}, but its answer was too large to keep`,
        { appliedAt: position.toString() },
      );
    }
    res.setHeader('idempotent-replayed', 'true');
    const after = { txid: position.txid, checksum: position.checksum };
    return this.#answer(res, { body: result.subarray(0, -1), before: position.txid - 1n, after });
  }

  /**
   * Sends the engine's answer: its JSON (encoded in the worker) with the `position` added, the
   * one after the request once its writes are as durable as `durability` asks (see
   * {@link #acknowledged}), or the current one; none when `withPosition` is false.
   */
  async #answer(res: ServerResponse, reply: EngineReply, withPosition = true): Promise<void> {
    const body = reply.body!;
    let tail = '}';
    if (withPosition) {
      const position =
        reply.after !== undefined
          ? await this.#acknowledged(reply.before!, new Position(reply.after.txid, reply.after.checksum))
          : this.#primary.position().toString();
      tail = `${body.length > 1 ? ',' : ''}"position":"${position}"}`;
    }
    const end = Buffer.from(tail);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length + end.length });
    res.write(body);
    res.end(end);
  }

  /**
   * The position to answer a request with (`position`, read right after it ran) once its writes,
   * if it made any (the txid moved past `before`), are as durable as `durability` asks. In
   * `quorum` mode that waits for a replica's report, and a {@link RequestError} 503
   * `QUORUM_TIMEOUT` says the write is committed here but not acknowledged: it may be lost if
   * this primary is lost.
   */
  async #acknowledged(before: bigint, position: Position): Promise<string> {
    if (position.txid > before && this.#options.durability === 'quorum')
      if (!(await this.#replicas.waitFor(position.txid, this.#options.quorumTimeoutMs)))
        throw this.#quorumTimeout(position);
    if (position.txid > before && !this.#mayAcknowledge()) {
      throw new RequestError(
        'NOT_PRIMARY',
        `the write is committed at ${position} on a primary whose term ended: it is not acknowledged and will be discarded`,
      );
    }
    return position.toString();
  }

  /**
   * Refuses a statement when this primary may no longer acknowledge writes, or the client has
   * seen a newer term (its `Wasmlite-Epoch` is higher than ours): 503 `NOT_PRIMARY`.
   */
  #checkTerm(req: IncomingMessage): void {
    const header = req.headers[EPOCH_HEADER];
    const seen = typeof header === 'string' && /^\d{1,20}$/.test(header) ? BigInt(header) : 0n;
    if (seen > this.#epoch)
      throw new RequestError(
        'NOT_PRIMARY',
        `this primary's epoch ${this.#epoch} is older than ${seen}: it was deposed`,
      );
    if (!this.#mayAcknowledge())
      throw new RequestError('NOT_PRIMARY', "this primary's term has ended: it takes no write");
  }

  #quorumTimeout(position: Position): RequestError {
    return new RequestError(
      'QUORUM_TIMEOUT',
      `the write is committed on the primary at ${position} but no replica reported it durable within ${this.#options.quorumTimeoutMs} ms: it is not acknowledged and may be lost if the primary is lost`,
    );
  }

  /** Reads a JSON body of at most `maxBodyBytes` (413 beyond, 400 if not JSON; `undefined` if empty and `optional`). */
  async #body(req: IncomingMessage, optional = false): Promise<unknown> {
    const limit = this.#options.maxBodyBytes;
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    // A declared length past the limit is refused before any byte is read: waiting for a body
    // that may never come (`Content-Length: 99999999999` and two bytes) would answer nothing.
    if (Number.isFinite(declared) && declared > limit) {
      throw new RequestError(
        'BODY_TOO_LARGE',
        `the request body is declared as ${declared} bytes, more than the ${limit} allowed`,
      );
    }
    let over = false;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) over = true;
      // Drain what is sent, so the client reads the 413 instead of a reset; give up on floods.
      if (size > limit * 8) req.destroy();
      if (!over) chunks.push(chunk);
    }
    if (over) throw new RequestError('BODY_TOO_LARGE', `the request body is larger than ${limit} bytes`);
    if (optional && size === 0) return undefined;
    let text: string;
    try {
      text = STRICT_UTF8.decode(Buffer.concat(chunks));
    } catch {
      // Decoding leniently would store U+FFFD in place of the client's bytes.
      throw new RequestError('BAD_UTF8', 'the request body is not valid UTF-8');
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new RequestError('BAD_JSON', 'the request body is not valid JSON');
    }
  }

  #fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // Where the primary stood when it failed the request: a client that reads next waits for that,
    // so it sees whatever its write collided with (the row behind a constraint error, say).
    const position = this.#primary.position().toString();
    // A batch statement's failure says which statement failed.
    const index = failedStatementIndex(error);
    const at = index === undefined ? {} : { statementIndex: index };
    const { status, body } = errorResponse(error);
    // An unread body cannot be skipped to reach the next request on this connection: close it.
    if (status === 413) res.setHeader('connection', 'close');
    return json(res, status, { error: { ...body, ...at }, position });
  }
}

/** UTF-8 that refuses malformed bytes instead of replacing them. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A transaction id from its URL path segment; a 400 for %-encoding that does not decode. */
function decodeTransactionId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestError(
      'BAD_REQUEST',
      `the transaction id ${JSON.stringify(segment.slice(0, 64))} is not valid %-encoding`,
    );
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
