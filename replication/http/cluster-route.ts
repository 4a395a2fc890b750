import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientError } from '../../core/client/client-error.ts';
import { KeepAliveAgents, PostFailure, postJson, type PostAnswer } from './post-json.ts';

/** The header every node answers with, and a client sends on writes (PROTOCOL.md, "Failover"). */
export const EPOCH_HEADER = 'wasmlite-epoch';
/** The header that names one logical write across its retries. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How long to wait between rounds over the nodes while no primary answers. */
const ROUND_PAUSE_MS = 100;
const MAX_ROUND_PAUSE_MS = 500;

/**
 * Options of {@link ClusterRoute}.
 *
 * @example
 * new ClusterRoute({ nodes: ['http://a:7878', 'http://b:7878'], headers, timeoutMs: 30_000, failoverTimeoutMs: 10_000 });
 */
export interface ClusterRouteOptions {
  /** The nodes given by the user, normalised (no trailing slash). */
  readonly nodes: readonly string[];
  /** Headers of every request (content type, authorization). */
  readonly headers: Readonly<Record<string, string>>;
  /** A request with no answer after this long fails, in ms. */
  readonly timeoutMs: number;
  /** How long a request may look for a primary before `PRIMARY_UNAVAILABLE`, in ms (0: one round). */
  readonly failoverTimeoutMs: number;
}

/** A node's answer, and which node gave it. */
export interface RoutedAnswer extends PostAnswer {
  readonly node: string;
}

/**
 * Where a client's requests to the primary go: the last node that answered as primary, found
 * among the given nodes and the primary they point to. A request sent to a node that is not the
 * primary is answered 307 `NOT_PRIMARY` with the primary's URL, which this follows itself (keeping
 * `Authorization`, which fetch would drop across origins); a node that refuses the connection, or
 * answers 503 `PRIMARY_UNAVAILABLE` (an election) or 503 `NOT_PRIMARY` (a deposed primary), makes
 * it try the next node, in rounds, until `failoverTimeoutMs`. Every answer's `Wasmlite-Epoch` is
 * noted; the highest is sent with every request, so that a deposed primary refuses instead of
 * writing, and a node seen at an older epoch is not taken for the primary again.
 *
 * Fails with a ClientError `PRIMARY_UNAVAILABLE` when no node took the request (it was not run)
 * and `WRITE_OUTCOME_UNKNOWN` when one took it and the connection died before the answer (it may
 * have run). It sends a request again once it may have run only when told to (`resend`: the
 * primary de-duplicates it by its `Idempotency-Key`).
 *
 * @example
 * const route = new ClusterRoute({ nodes, headers, timeoutMs: 30_000, failoverTimeoutMs: 10_000 });
 * const { status, text } = await route.post('/v1/execute', body, { idempotent: true });
 */
export class ClusterRoute {
  readonly #nodes: readonly string[];
  readonly #headers: Readonly<Record<string, string>>;
  readonly #timeoutMs: number;
  readonly #failoverTimeoutMs: number;
  readonly #agents = new KeepAliveAgents();
  /** The node that last answered as primary. */
  #primary: string | undefined;
  /** The highest epoch any node answered with. */
  #epoch = 0n;
  /** The epoch each node last answered with. */
  readonly #nodeEpochs = new Map<string, bigint>();

  constructor(options: ClusterRouteOptions) {
    this.#nodes = options.nodes;
    this.#headers = options.headers;
    this.#timeoutMs = options.timeoutMs;
    this.#failoverTimeoutMs = options.failoverTimeoutMs;
  }

  /** The highest epoch seen in an answer (0 before any). */
  get epoch(): bigint {
    return this.#epoch;
  }

  /** The node taken for the primary, if one is known. */
  get primary(): string | undefined {
    return this.#primary;
  }

  /**
   * POSTs `body` to the primary, finding it first if need be, and resolves with its answer (any
   * status but the failover ones above). With `idempotent`, the request carries an
   * `Idempotency-Key`, the same on every node it is sent to. With `resend` too, a request whose
   * connection died after it was sent is sent again, under the same key, until
   * `failoverTimeoutMs`: the primary runs a keyed write at most once and answers a retry with
   * the first answer. Past the deadline it fails with `WRITE_OUTCOME_UNKNOWN`, as without `resend`.
   */
  async post(
    path: string,
    body: string,
    options: { idempotent?: boolean; resend?: boolean } = {},
  ): Promise<RoutedAnswer> {
    const { headers, resend, deadline } = this.#attempt(options);
    let why = 'no node answered';
    /** The last failure after sending: once there is one, the request may have run. */
    let lost: { node: string; failure: PostFailure } | undefined;
    for (let round = 0; ; round++) {
      const tried = new Set<string>();
      for (let node = this.#next(tried); node !== undefined; node = this.#next(tried)) {
        tried.add(node);
        let answer: PostAnswer;
        try {
          answer = await this.#send(node, path, headers, body);
        } catch (error) {
          if (!(error instanceof PostFailure)) throw error;
          if (error.sent) {
            if (!resend || Date.now() >= deadline) throw outcomeUnknown(node, error);
            lost = { node, failure: error };
          }
          why = error.message;
          this.#forget(node);
          continue;
        }
        const refusal = failoverCode(answer);
        if (refusal === undefined) {
          this.#primary = node;
          return { ...answer, node };
        }
        this.#forget(node);
        why = `${node} answered ${answer.status} ${refusal}`;
        const pointed = refusal === 'NOT_PRIMARY' && answer.status === 307 ? primaryUrlOf(answer) : undefined;
        // A node behind the newest epoch may point at a deposed primary: not followed.
        if (pointed !== undefined && !this.#isStale(node) && !tried.has(pointed)) this.#primary = pointed;
      }
      if (Date.now() >= deadline) {
        if (lost !== undefined) throw outcomeUnknown(lost.node, lost.failure);
        throw new ClientError(`no primary took the request (not sent): ${why}`, 'PRIMARY_UNAVAILABLE');
      }
      const pause = Math.min(ROUND_PAUSE_MS * 2 ** round, MAX_ROUND_PAUSE_MS, deadline - Date.now());
      await sleep(pause);
    }
  }

  /**
   * What every try of one request shares: its headers (with a fresh `Idempotency-Key` when
   * `idempotent`, the same on every try), whether it may be sent again after its answer was lost,
   * and the deadline of its tries.
   */
  #attempt(options: { idempotent?: boolean; resend?: boolean }): {
    headers: Record<string, string>;
    resend: boolean;
    deadline: number;
  } {
    const headers: Record<string, string> = { ...this.#headers };
    if (options.idempotent === true) headers[IDEMPOTENCY_HEADER] = randomUUID();
    return {
      headers,
      resend: options.idempotent === true && options.resend === true,
      deadline: Date.now() + this.#failoverTimeoutMs,
    };
  }

  /**
   * POSTs `body` to `node` only (the primary an interactive transaction is open on): no failover,
   * since the transaction lives there. `idempotent` and `resend` as for {@link post}, except that
   * the request is sent again to `node` alone (restarted, it answers from its log).
   */
  async postTo(
    node: string,
    path: string,
    body: string,
    options: { idempotent?: boolean; resend?: boolean } = {},
  ): Promise<RoutedAnswer> {
    const { headers, resend, deadline } = this.#attempt(options);
    let lost: PostFailure | undefined;
    for (let round = 0; ; round++) {
      try {
        return { ...(await this.#send(node, path, headers, body)), node };
      } catch (error) {
        if (!(error instanceof PostFailure)) throw error;
        if (error.sent) lost = error;
        const retry = resend && lost !== undefined && Date.now() < deadline;
        if (!retry && lost !== undefined) throw outcomeUnknown(node, lost);
        if (!retry)
          throw new ClientError(`the primary is gone (not sent): ${error.message}`, 'PRIMARY_UNAVAILABLE', error);
      }
      await sleep(Math.min(ROUND_PAUSE_MS * 2 ** round, MAX_ROUND_PAUSE_MS, deadline - Date.now()));
    }
  }

  /** Aborts the requests in flight and closes the kept-alive connections. */
  close(): void {
    this.#agents.destroy();
  }

  async #send(node: string, path: string, headers: Record<string, string>, body: string): Promise<PostAnswer> {
    if (this.#epoch > 0n) headers[EPOCH_HEADER] = String(this.#epoch);
    const answer = await postJson(new URL(`${node}${path}`), headers, body, this.#agents, this.#timeoutMs);
    this.#noteEpoch(node, answer.headers);
    return answer;
  }

  /** The next node to try: the known primary first, then the given nodes in order. */
  #next(tried: ReadonlySet<string>): string | undefined {
    const primary = this.#primary;
    if (primary !== undefined && !tried.has(primary) && !this.#isStale(primary)) return primary;
    return this.#nodes.find((node) => !tried.has(node));
  }

  #forget(node: string): void {
    if (this.#primary === node) this.#primary = undefined;
  }

  #isStale(node: string): boolean {
    const epoch = this.#nodeEpochs.get(node);
    return epoch !== undefined && epoch < this.#epoch;
  }

  #noteEpoch(node: string, headers: IncomingHttpHeaders): void {
    const value = headers[EPOCH_HEADER];
    if (typeof value !== 'string' || !/^\d{1,20}$/.test(value)) return;
    const epoch = BigInt(value);
    this.#nodeEpochs.set(node, epoch);
    if (epoch > this.#epoch) this.#epoch = epoch;
  }
}

/** `NOT_PRIMARY` or `PRIMARY_UNAVAILABLE` when the answer says to try elsewhere, else undefined. */
function failoverCode(answer: PostAnswer): string | undefined {
  if (answer.status !== 307 && answer.status !== 503) return undefined;
  const code = errorOf(answer)?.code;
  if (answer.status === 307) return 'NOT_PRIMARY';
  return code === 'PRIMARY_UNAVAILABLE' || code === 'NOT_PRIMARY' ? code : undefined;
}

/** The primary's base URL a 307 names: the body's `primaryUrl`, else the `Location`'s origin. */
function primaryUrlOf(answer: PostAnswer): string | undefined {
  const named = errorOf(answer)?.primaryUrl;
  const url = typeof named === 'string' ? named : answer.headers.location;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return undefined;
  return typeof named === 'string' ? named.replace(/\/+$/, '') : new URL(url).origin;
}

function errorOf(answer: PostAnswer): { code?: unknown; primaryUrl?: unknown } | undefined {
  try {
    const body = JSON.parse(answer.text) as { error?: { code?: unknown; primaryUrl?: unknown } };
    return typeof body?.error === 'object' && body.error !== null ? body.error : undefined;
  } catch {
    return undefined;
  }
}

function outcomeUnknown(node: string, failure: PostFailure): ClientError {
  return new ClientError(
    `the connection to the primary died after the request was sent, so it may have been applied: ${failure.message}`,
    'WRITE_OUTCOME_UNKNOWN',
    failure,
  );
}
