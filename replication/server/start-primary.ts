import { isIP } from 'node:net';
import { positiveInteger } from '../../core/util/option-checks.ts';
import { PrimaryServer } from '../http/primary-server.ts';
import { EngineThread } from '../http/engine-thread.ts';
import { TokenAuth } from '../http/token-auth.ts';
import type { Archiver, ArchiverOptions } from '../backup/archiver.ts';
import type { Position } from '../log/index.ts';
import { LogRetention } from '../primary/log-retention.ts';
import { PrimaryDatabase } from '../primary/primary-database.ts';

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 5000;
const TRANSACTION_TIMEOUT_MS = 5000;
const LOG_RETAIN_TXIDS = 10_000;
const QUORUM_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 5000;
const MAX_RESPONSE_ROWS = 200_000;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * Options of {@link startPrimary}.
 *
 * @example
 * await startPrimary({ path: '/srv/app.db', port: 7878, tokens: { write: [secret], read: [readSecret] } });
 */
export interface PrimaryOptions {
  /** The database file (created if missing). */
  readonly path: string;
  /** The address to listen on (default `127.0.0.1`); any other than loopback needs a token. */
  readonly host?: string;
  /** The TCP port (default 0: any free port, see `url`). */
  readonly port?: number;
  /** A read-write token (same as `tokens.write: [authToken]`). */
  readonly authToken?: string;
  /**
   * Read-write, read-only and replica tokens. A replica token (`replicate`) reads as a read token
   * does and may also report as a replica (`POST /v1/ack`), which confirms writes in `quorum`
   * mode; a read token may not report, a write token may.
   */
  readonly tokens?: {
    readonly read?: readonly string[];
    readonly write?: readonly string[];
    readonly replicate?: readonly string[];
  };
  /** The transaction log's directory (default `path + '-log'`). */
  readonly logDir?: string;
  /** Largest request body in bytes (default 8 MiB). */
  readonly maxBodyBytes?: number;
  /** Idle log streams get a heartbeat frame this often, in ms (default 5000). */
  readonly heartbeatMs?: number;
  /**
   * An interactive transaction (`/v1/transactions`) with no request for this long, in ms, is
   * rolled back and the writer passes to the requests waiting behind it (default 5000).
   */
  readonly transactionTimeoutMs?: number;
  /**
   * Keep at least this many of the latest transactions in the log (default 10 000); a replica
   * further behind re-bootstraps from a snapshot. Older segments are deleted as the log grows,
   * except what a connected log stream still has to send.
   */
  readonly logRetainTxids?: number;
  /** Start a new log segment once the current one holds this many bytes (default 64 MiB). */
  readonly logSegmentBytes?: number;
  /**
   * When a write is acknowledged (default `async`): `async` once it is in this primary's log on
   * disk; `quorum` also once at least one replica has reported it applied and fsynced, so that
   * losing this primary's disk loses no acknowledged write. A `quorum` write no replica confirms
   * within `quorumTimeoutMs` fails with 503 `QUORUM_TIMEOUT` (it stays committed here).
   */
  readonly durability?: 'async' | 'quorum';
  /** In `quorum` mode, how long a write waits for a replica's report, in ms (default 10000). */
  readonly quorumTimeoutMs?: number;
  /**
   * How long one request's statements may run, in ms (default 5000): past it SQLite interrupts
   * them, what they wrote is rolled back, and the answer is 400 `STATEMENT_TIMEOUT`. SQL runs in
   * the primary's engine worker, so `/health`, `/status` and log streams answer meanwhile.
   */
  readonly statementTimeoutMs?: number;
  /** The most rows one answer may hold, over a batch's statements (default 200 000; 400 `RESPONSE_TOO_LARGE` beyond). */
  readonly maxResponseRows?: number;
  /** The most bytes of JSON the rows of one answer may take (default 10 MiB; 400 `RESPONSE_TOO_LARGE` beyond). */
  readonly maxResponseBytes?: number;
  /** Where damage found in the log is told (default `console.warn`, prefixed with the path). */
  readonly log?: (message: string) => void;
  /**
   * Continuous backup: an archiver in this process follows the primary's own log and snapshots
   * into `archive.target` (a directory or `s3://bucket/prefix`), trailing it by at most
   * `maxLagMs` (default 1000) of commits (replication/backup, FORMAT.md "Backup archive"). It uses
   * a replica, read or write token of the primary's, in that order.
   */
  readonly archive?: PrimaryArchiveOptions;
  /**
   * The term's epoch (default 1): stamped into every record this primary writes, and sent in the
   * `Wasmlite-Epoch` header of every answer. A write request whose `Wasmlite-Epoch` is higher was
   * sent by a client that has seen a newer primary: it is refused with 503 `NOT_PRIMARY`.
   */
  readonly epoch?: bigint;
  /**
   * Asked before a write runs and again before it is acknowledged (default: always true). A
   * failover node answers false once its lease may have lapsed: the write is then refused, or
   * answered 503 `NOT_PRIMARY` (committed here, not acknowledged), never acknowledged.
   */
  readonly mayAcknowledge?: () => boolean;
  /**
   * Where an empty log starts (a replica promoted to primary): the replica's position and
   * database identity. Ignored when the log has records.
   */
  readonly startAt?: { readonly position: Position; readonly dbId: string };
  /** The URL this primary is reached at, for `/health`'s `primaryUrl` (default the listening URL). */
  readonly advertisedUrl?: string;
  /** What `/status` says of the cluster this primary leads (its `cluster` field), if it is in one. */
  readonly clusterStatus?: () => Promise<unknown>;
}

/**
 * The `archive` option of {@link startPrimary}: the archiver's options without what the primary
 * supplies (its URL, a token, its position).
 *
 * @example
 * await startPrimary({ path: 'app.db', archive: { target: '/mnt/backup/app', maxLagMs: 1000 } });
 */
export type PrimaryArchiveOptions = Omit<ArchiverOptions, 'url' | 'authToken' | 'position'>;

/**
 * A running primary: see {@link startPrimary}.
 *
 * @example
 * const primary = await startPrimary({ path: 'app.db' });
 * primary.position().txid; // 0n on a new database
 * await primary.close();
 */
export interface Primary {
  /** The server's base URL, e.g. `http://127.0.0.1:7878`. */
  readonly url: string;
  /** The position after the last committed transaction. */
  position(): Position;
  /** Stops the server (ending log streams), closes the database and the log. */
  close(): Promise<void>;
}

/**
 * Whether `host` is a loopback address, where a primary may serve without a token.
 *
 * @example
 * isLoopback('127.0.0.1'); // true
 */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function checkTokens(value: unknown, name: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || t === '')) {
    throw new TypeError(`Expected the "${name}" option to be an array of non-empty strings`);
  }
}

/**
 * Opens `path` as a replication primary and serves it over HTTP (replication/PROTOCOL.md): one
 * writer connection in WAL mode at `synchronous=FULL`, every commit appended durably to the
 * transaction log in `logDir` before it is acknowledged, log streams and snapshots for replicas.
 * At startup the database is brought level with the log (a crash between the log append and the
 * WAL commit loses nothing).
 *
 * Throws a `TypeError` for bad options, including a non-loopback `host` without a token;
 * `PositionMismatchError` if the database and log describe different histories;
 * `LogCorruptionError` for damaged headers in the log's last segment, or a damaged last record the
 * database already has (its message says how to recover); `OwnerLockError` if another process has
 * the database or the log; the listen error (`EADDRINUSE`, …). Other damage does not stop it:
 * damaged record bodies, and older segments with damaged headers (set aside as `*.damaged`), are
 * told to `log` and in `/health`, and replicas that need them get a snapshot.
 *
 * @example
 * const primary = await startPrimary({ path: './data.db', port: 7878, authToken: process.env.TOKEN });
 * console.log(`primary at ${primary.url}, ${primary.position()}`);
 * process.on('SIGTERM', () => primary.close());
 */
export async function startPrimary(options: PrimaryOptions): Promise<Primary> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('Expected the "options" argument to be an object');
  const { path, host = '127.0.0.1', port = 0, authToken, tokens = {} } = options;
  if (typeof path !== 'string' || path === '' || path === ':memory:')
    throw new TypeError('Expected the "path" option to be a database file path');
  if (typeof host !== 'string' || host === '')
    throw new TypeError('Expected the "host" option to be a non-empty string');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError('Expected the "port" option to be an integer between 0 and 65535');
  if (authToken !== undefined && (typeof authToken !== 'string' || authToken === '')) {
    throw new TypeError('Expected the "authToken" option to be a non-empty string');
  }
  if (tokens === null || typeof tokens !== 'object')
    throw new TypeError('Expected the "tokens" option to be an object');
  checkTokens(tokens.read, 'tokens.read');
  checkTokens(tokens.write, 'tokens.write');
  checkTokens(tokens.replicate, 'tokens.replicate');
  const logDir = options.logDir ?? `${path}-log`;
  if (typeof logDir !== 'string' || logDir === '')
    throw new TypeError('Expected the "logDir" option to be a non-empty string');
  const maxBodyBytes = positiveInteger(options.maxBodyBytes ?? MAX_BODY_BYTES, 'maxBodyBytes');
  const heartbeatMs = positiveInteger(options.heartbeatMs ?? HEARTBEAT_MS, 'heartbeatMs');
  const transactionTimeoutMs = positiveInteger(
    options.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS,
    'transactionTimeoutMs',
  );
  const logRetainTxids = positiveInteger(options.logRetainTxids ?? LOG_RETAIN_TXIDS, 'logRetainTxids');
  const logSegmentBytes =
    options.logSegmentBytes === undefined ? undefined : positiveInteger(options.logSegmentBytes, 'logSegmentBytes');
  const durability = options.durability ?? 'async';
  if (durability !== 'async' && durability !== 'quorum')
    throw new TypeError('Expected the "durability" option to be "async" or "quorum"');
  const quorumTimeoutMs = positiveInteger(options.quorumTimeoutMs ?? QUORUM_TIMEOUT_MS, 'quorumTimeoutMs');
  const statementTimeoutMs = positiveInteger(options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS, 'statementTimeoutMs');
  const maxResponseRows = positiveInteger(options.maxResponseRows ?? MAX_RESPONSE_ROWS, 'maxResponseRows');
  const maxResponseBytes = positiveInteger(options.maxResponseBytes ?? MAX_RESPONSE_BYTES, 'maxResponseBytes');
  const auth = new TokenAuth({
    read: tokens.read,
    replicate: tokens.replicate,
    write: [...(tokens.write ?? []), ...(authToken === undefined ? [] : [authToken])],
  });
  if (!auth.enabled && !isLoopback(host)) {
    throw new TypeError(`Expected a token ("authToken" or "tokens") to serve on the non-loopback host ${host}`);
  }

  if (options.log !== undefined && typeof options.log !== 'function')
    throw new TypeError('Expected the "log" option to be a function');
  const archive = options.archive;
  if (archive !== undefined && (archive === null || typeof archive !== 'object'))
    throw new TypeError('Expected the "archive" option to be an object');
  const epoch = options.epoch ?? 1n;
  if (typeof epoch !== 'bigint' || epoch < 1n)
    throw new TypeError('Expected the "epoch" option to be a positive bigint');
  const mayAcknowledge = options.mayAcknowledge ?? (() => true);
  if (typeof mayAcknowledge !== 'function')
    throw new TypeError('Expected the "mayAcknowledge" option to be a function');
  // Loaded only for a primary that archives; its options are checked when it starts, below.
  const backup = archive === undefined ? undefined : await import('../backup/archiver.ts');
  const primary = await PrimaryDatabase.open({
    path,
    logDir,
    logSegmentBytes,
    warn: options.log,
    ...(options.startAt === undefined ? {} : { startAt: options.startAt }),
  });
  const logEpoch = primary.log.lastEpoch() ?? 0n;
  if (logEpoch > epoch) {
    throw primary.discard(
      new RangeError(
        `Expected the "epoch" option to be at least ${logEpoch}, the epoch of the log's last record: a primary of an older term may not write`,
      ),
    );
  }
  let engine: EngineThread;
  try {
    engine = await EngineThread.start(primary, {
      epoch,
      transactionTimeoutMs,
      statementTimeoutMs,
      maxResponseRows,
      maxResponseBytes,
    });
  } catch (error) {
    throw primary.discard(error);
  }
  const retention = new LogRetention(primary.log, logRetainTxids);
  const compact = (): void => {
    try {
      retention.compact();
    } catch {
      // The commit is durable already; a segment that could not be deleted goes at the next append.
    }
  };
  compact();
  const stopCompacting = primary.onRecord(compact);
  const server = new PrimaryServer(primary, engine, {
    auth,
    maxBodyBytes,
    heartbeatMs,
    retention,
    durability,
    quorumTimeoutMs,
    archive: { status: () => archiver?.status() ?? null, metrics: () => archiver?.metrics() ?? '' },
    epoch,
    mayAcknowledge,
    advertisedUrl: options.advertisedUrl,
    clusterStatus: options.clusterStatus,
  });
  let archiver: Archiver | undefined;
  let url: string;
  try {
    url = await server.listen(host, port);
  } catch (error) {
    stopCompacting();
    await engine.close();
    primary.close();
    throw error;
  }
  if (backup !== undefined) {
    const token = tokens.replicate?.[0] ?? tokens.read?.[0] ?? tokens.write?.[0] ?? authToken;
    try {
      archiver = backup.Archiver.start({
        ...archive!,
        url,
        ...(token === undefined ? {} : { authToken: token }),
        position: () => primary.position(),
      });
    } catch (error) {
      await server.close();
      await engine.close();
      stopCompacting();
      primary.close();
      throw error;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    position: () => primary.position(),
    close: () =>
      (closing ??= (archiver?.close() ?? Promise.resolve())
        .then(() => server.close())
        .then(async () => {
          await engine.close();
          stopCompacting();
          primary.close();
        })),
  };
}
