import { ClientError } from '../../core/client/client-error.ts';
import { checkPrimaryAddress } from '../../core/client/transport.ts';
import { Position } from '../log/index.ts';
import type {
  LogOpening,
  PositionReport,
  PrimaryFeed,
  ReportOutcome,
  SnapshotDownload,
} from '../replica/primary-feed.ts';
import { EPOCH_HEADER, FEED_HEADERS } from './feed-headers.ts';
import { readFrameBatches } from './frame-reader.ts';

/**
 * Options of {@link HttpPrimaryFeed}.
 *
 * @example
 * new HttpPrimaryFeed({ syncUrl: 'http://127.0.0.1:7878', authToken: 'r-token' });
 */
export interface HttpPrimaryFeedOptions {
  /** The primary's base URL. */
  readonly syncUrl: string;
  /** Bearer token: a read token follows; reports take a replica or write token. */
  readonly authToken?: string;
}

/**
 * A {@link PrimaryFeed} over a primary's HTTP API (replication/PROTOCOL.md): `GET /v1/snapshot`,
 * `GET /v1/log?from=`, `POST /v1/ack` and `GET /status`. Throws a TypeError for a URL that is not
 * http(s) or an empty token. Its methods reject when the primary cannot be reached or answers
 * something the protocol does not say.
 *
 * @example
 * const feed = new HttpPrimaryFeed({ syncUrl: primary.url });
 * const follower = ReplicaFollower.start({ path: 'replica.db', feed });
 */
export class HttpPrimaryFeed implements PrimaryFeed {
  readonly source: string;
  readonly #headers: Record<string, string>;

  constructor(options: HttpPrimaryFeedOptions) {
    checkPrimaryAddress(options);
    this.source = options.syncUrl.replace(/\/+$/, '');
    this.#headers = options.authToken === undefined ? {} : { authorization: `Bearer ${options.authToken}` };
  }

  async snapshot(signal?: AbortSignal): Promise<SnapshotDownload> {
    const response = await fetch(`${this.source}/v1/snapshot`, {
      headers: this.#headers,
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.status !== 200) throw new Error(`GET /v1/snapshot: HTTP ${response.status} ${await response.text()}`);
    const length = Number(response.headers.get('content-length'));
    if (!Number.isSafeInteger(length) || length < 0 || response.body === null) {
      await response.body?.cancel();
      throw new Error('GET /v1/snapshot: no content-length');
    }
    const proof = response.headers.get(FEED_HEADERS.proof);
    const epoch = response.headers.get(EPOCH_HEADER);
    return {
      ...(epoch !== null && /^\d{1,20}$/.test(epoch) ? { epoch: BigInt(epoch) } : {}),
      position: Position.parse(response.headers.get(FEED_HEADERS.position) ?? ''),
      dbId: response.headers.get(FEED_HEADERS.dbId) ?? '',
      pageSize: Number(response.headers.get(FEED_HEADERS.pageSize)),
      length,
      proof: proof ?? undefined,
      body: response.body as unknown as AsyncIterable<Uint8Array>,
    };
  }

  async log(from: bigint, signal: AbortSignal): Promise<LogOpening> {
    const response = await fetch(`${this.source}/v1/log?from=${from}`, { headers: this.#headers, signal });
    const epoch = response.headers.get(EPOCH_HEADER);
    const epochField = epoch !== null && /^\d{1,20}$/.test(epoch) ? { epoch: BigInt(epoch) } : {};
    if (response.status === 410 || response.status === 409) {
      await response.body?.cancel();
      return { kind: response.status === 410 ? 'compacted' : 'ahead', ...epochField };
    }
    if (response.status !== 200 || response.body === null)
      throw new Error(`GET /v1/log: HTTP ${response.status} ${await response.text()}`);
    return {
      kind: 'stream',
      dbId: response.headers.get(FEED_HEADERS.dbId) ?? '',
      ...epochField,
      durability: response.headers.get(FEED_HEADERS.durability) === 'quorum' ? 'quorum' : 'async',
      frames: readFrameBatches(response.body as unknown as AsyncIterable<Uint8Array>),
    };
  }

  async report(report: PositionReport, timeoutMs: number): Promise<ReportOutcome> {
    const response = await fetch(`${this.source}/v1/ack`, {
      method: 'POST',
      headers: { ...this.#headers, 'content-type': 'application/json' },
      body: JSON.stringify(report),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status === 200) {
      await response.body?.cancel();
      return { accepted: true };
    }
    const text = await response.text();
    let code = `HTTP_${response.status}`;
    try {
      const error = (JSON.parse(text) as { error?: { code?: unknown } }).error;
      if (typeof error?.code === 'string') code = error.code;
    } catch {
      // Not the protocol's JSON error: the status names it.
    }
    // 403: a read token, which may follow but not report.
    return { accepted: false, forbidden: response.status === 403, code, reason: `HTTP ${response.status} ${text}` };
  }

  async status(timeoutMs: number): Promise<{ readonly position: Position; readonly dbId: string | undefined }> {
    let body: { position?: unknown; dbId?: unknown };
    try {
      const response = await fetch(`${this.source}/status`, {
        headers: this.#headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = (await response.json()) as { position?: unknown; dbId?: unknown };
    } catch (cause) {
      throw new ClientError(
        `primary unreachable at ${this.source}: ${(cause as Error).message}`,
        'PRIMARY_UNREACHABLE',
      );
    }
    if (typeof body.position !== 'string')
      throw new ClientError("the primary's /status has no position", 'PRIMARY_ERROR');
    return { position: Position.parse(body.position), dbId: typeof body.dbId === 'string' ? body.dbId : undefined };
  }
}
