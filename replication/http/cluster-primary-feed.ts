import { setTimeout as sleep } from 'node:timers/promises';
import { ClientError } from '../../core/client/client-error.ts';
import type { Position } from '../log/index.ts';
import type {
  LogOpening,
  PositionReport,
  PrimaryFeed,
  ReportOutcome,
  SnapshotDownload,
} from '../replica/primary-feed.ts';
import { HttpPrimaryFeed } from './http-primary-feed.ts';

/** How long one node's `GET /health` may take before it counts as down, in ms. */
const HEALTH_TIMEOUT_MS = 2000;
/** Pauses between rounds over the nodes while none is the primary (an election). */
const ROUND_PAUSE_MS = 100;
const MAX_ROUND_PAUSE_MS = 500;
/** How long one call looks for a primary before it rejects (the follower then backs off). */
const DEFAULT_DISCOVERY_TIMEOUT_MS = 10_000;

/**
 * Options of {@link ClusterPrimaryFeed}.
 *
 * @example
 * new ClusterPrimaryFeed({ nodes: ['http://10.0.0.1:7878', 'http://10.0.0.2:7878'], authToken: 'r-token' });
 */
export interface ClusterPrimaryFeedOptions {
  /** Every node's base URL (at least one, http or https). */
  readonly nodes: readonly string[];
  /** Bearer token: a read token follows; reports take a replica or write token. */
  readonly authToken?: string;
  /** How long one call looks for a primary before it rejects, in ms (default 10000). */
  readonly discoveryTimeoutMs?: number;
}

/** What a node's `GET /health` says, with the node that said it. */
interface NodeHealth {
  readonly node: string;
  readonly role: string;
  readonly epoch: bigint;
  readonly primaryUrl: string | undefined;
}

/**
 * A {@link PrimaryFeed} over a list of failover nodes that follows whichever is the primary,
 * knowing nothing but their URLs (no etcd): it asks every node's `GET /health` (`role`, `epoch`,
 * `primaryUrl`), takes the node that says it is the primary at the highest epoch seen (never one
 * of an older epoch than any answer so far), or else the primary the nodes of that epoch name,
 * and opens the snapshot, log, reports and status on it. A connection that fails, or a node that
 * answers as no primary would (a 404 from a node that is now a replica), makes it look again;
 * every log stream opened asks the primary's `/health` first, so a deposed primary is not
 * followed. While no node is the primary (an election), a call keeps looking, in rounds, for up
 * to `discoveryTimeoutMs`, then rejects (the follower retries with backoff; its replica keeps
 * serving reads). The follower's own epoch fencing still refuses an older term's stream.
 * Throws a TypeError for an empty list or a URL that is not http(s).
 *
 * @example
 * const feed = new ClusterPrimaryFeed({ nodes: ['http://127.0.0.1:7001', 'http://127.0.0.1:7002'] });
 * const follower = ReplicaFollower.start({ path: 'replica.db', feed });
 */
export class ClusterPrimaryFeed implements PrimaryFeed {
  readonly #nodes: readonly string[];
  readonly #authToken: string | undefined;
  readonly #headers: Record<string, string>;
  readonly #discoveryTimeoutMs: number;
  /** The node taken for the primary now, if one is. */
  #primary: HttpPrimaryFeed | undefined;
  /** The highest epoch any node answered with: a primary of an older one is not taken. */
  #epoch = 0n;

  constructor(options: ClusterPrimaryFeedOptions) {
    if (!Array.isArray(options.nodes) || options.nodes.length === 0)
      throw new TypeError('Expected nodes to be a non-empty array of URLs');
    // HttpPrimaryFeed checks each URL and the token, and normalises the URL.
    const feeds = options.nodes.map(
      (node) =>
        new HttpPrimaryFeed({
          syncUrl: node,
          ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
        }),
    );
    this.#nodes = feeds.map((feed) => feed.source);
    this.#authToken = options.authToken;
    this.#headers = options.authToken === undefined ? {} : { authorization: `Bearer ${options.authToken}` };
    const timeout = options.discoveryTimeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeout) || timeout < 0)
      throw new TypeError('Expected discoveryTimeoutMs to be a non-negative integer');
    this.#discoveryTimeoutMs = timeout;
  }

  /** The primary's URL now, or which nodes it is being looked for among. */
  get source(): string {
    return this.#primary?.source ?? `(the primary among ${this.#nodes.join(', ')})`;
  }

  /** The highest epoch a node answered with (0 before any). */
  get epoch(): bigint {
    return this.#epoch;
  }

  async snapshot(signal?: AbortSignal): Promise<SnapshotDownload> {
    const primary = await this.#locate(this.#discoveryTimeoutMs, signal);
    return this.#watch(primary, () => primary.snapshot(signal));
  }

  async log(from: bigint, signal: AbortSignal): Promise<LogOpening> {
    // A stream is opened after the last one ended: the primary it came from may be gone or
    // deposed, so it is asked again first.
    if (this.#primary !== undefined && !(await this.#stillPrimary(this.#primary.source))) this.#primary = undefined;
    const primary = await this.#locate(this.#discoveryTimeoutMs, signal);
    const opening = await this.#watch(primary, () => primary.log(from, signal));
    if (opening.epoch !== undefined) this.#note(opening.epoch);
    if (opening.kind !== 'stream') return opening;
    return { ...opening, frames: this.#forgetOnFailure(primary, opening.frames) };
  }

  async report(report: PositionReport, timeoutMs: number): Promise<ReportOutcome> {
    const primary = await this.#locate(timeoutMs);
    const outcome = await this.#watch(primary, () => primary.report(report, timeoutMs));
    // A node that is not the primary (any more) has no such route: look again next time.
    if (!outcome.accepted && !outcome.forbidden) this.#forget(primary);
    return outcome;
  }

  async status(timeoutMs: number): Promise<{ readonly position: Position; readonly dbId: string | undefined }> {
    let primary: HttpPrimaryFeed;
    try {
      primary = await this.#locate(timeoutMs);
    } catch (cause) {
      throw new ClientError(`no primary found: ${(cause as Error).message}`, 'PRIMARY_UNREACHABLE', cause as Error);
    }
    return this.#watch(primary, () => primary.status(timeoutMs));
  }

  /** Runs `call` on `primary`; if it rejects, the primary is looked for again next time. */
  async #watch<T>(primary: HttpPrimaryFeed, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.#forget(primary);
      throw error;
    }
  }

  async *#forgetOnFailure<T>(primary: HttpPrimaryFeed, items: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* items;
    } catch (error) {
      this.#forget(primary);
      throw error;
    }
  }

  #forget(primary: HttpPrimaryFeed): void {
    if (this.#primary === primary) this.#primary = undefined;
  }

  /** The primary: the one known, else found among the nodes, in rounds, for up to `timeoutMs`. */
  async #locate(timeoutMs: number, signal?: AbortSignal): Promise<HttpPrimaryFeed> {
    const deadline = Date.now() + timeoutMs;
    let why = 'no node answered';
    for (let round = 0; ; round++) {
      if (this.#primary !== undefined) return this.#primary;
      signal?.throwIfAborted();
      const found = await this.#find();
      if (typeof found !== 'string') {
        this.#primary = new HttpPrimaryFeed({
          syncUrl: found.node,
          ...(this.#authToken === undefined ? {} : { authToken: this.#authToken }),
        });
        return this.#primary;
      }
      why = found;
      if (Date.now() >= deadline) throw new Error(`no node is the primary: ${why}`);
      await sleep(Math.min(ROUND_PAUSE_MS * 2 ** round, MAX_ROUND_PAUSE_MS, Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * One round: every node's `/health` at once. The primary is the node saying so at the highest
   * epoch, not older than any seen; else the URL that nodes of that epoch name, if it says so
   * itself. Resolves with why none was found otherwise.
   */
  async #find(): Promise<NodeHealth | string> {
    const answers = (await Promise.all(this.#nodes.map((node) => this.#health(node)))).filter(
      (answer) => answer !== undefined,
    );
    if (answers.length === 0) return 'no node answered';
    const newest = answers.reduce((best, answer) => (answer.epoch > best.epoch ? answer : best));
    const current = answers.filter((answer) => answer.epoch === newest.epoch && newest.epoch >= this.#epoch);
    const primary = current.find((answer) => answer.role === 'primary');
    if (primary !== undefined) return primary;
    const named = current.find((answer) => answer.primaryUrl !== undefined)?.primaryUrl;
    if (named !== undefined && !this.#nodes.includes(named)) {
      const answer = await this.#health(named);
      if (answer?.role === 'primary' && answer.epoch >= this.#epoch) return answer;
    }
    const epoch = this.#epoch;
    return `${answers.length} of ${this.#nodes.length} nodes answered, none as the primary of epoch ${epoch} or later`;
  }

  /** Whether `node` still says it is the primary, at the newest epoch seen. */
  async #stillPrimary(node: string): Promise<boolean> {
    const answer = await this.#health(node);
    return answer?.role === 'primary' && answer.epoch >= this.#epoch;
  }

  /** What `node`'s `/health` says, or undefined when it does not answer as a node does. */
  async #health(node: string): Promise<NodeHealth | undefined> {
    let body: { role?: unknown; epoch?: unknown; primaryUrl?: unknown };
    try {
      const response = await fetch(`${node}/health`, {
        headers: this.#headers,
        signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      });
      body = (await response.json()) as typeof body;
    } catch {
      return undefined;
    }
    if (typeof body !== 'object' || body === null || typeof body.role !== 'string') return undefined;
    // A primary started alone (no failover) says no epoch in some versions: its term is 1.
    const epoch = typeof body.epoch === 'string' && /^\d{1,20}$/.test(body.epoch) ? BigInt(body.epoch) : 1n;
    this.#note(epoch);
    const primaryUrl =
      typeof body.primaryUrl === 'string' && /^https?:\/\//.test(body.primaryUrl)
        ? body.primaryUrl.replace(/\/+$/, '')
        : undefined;
    return { node, role: body.role, epoch, primaryUrl };
  }

  #note(epoch: bigint): void {
    if (epoch > this.#epoch) this.#epoch = epoch;
  }
}
