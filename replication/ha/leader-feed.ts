import { ClientError } from '../../core/client/client-error.ts';
import { HttpPrimaryFeed } from '../http/http-primary-feed.ts';
import type { Position } from '../log/index.ts';
import type {
  LogOpening,
  PositionReport,
  PrimaryFeed,
  ReportOutcome,
  SnapshotDownload,
} from '../replica/primary-feed.ts';

/**
 * A {@link PrimaryFeed} that follows whichever node leads: {@link LeaderFeed.point} says where
 * the primary is now (from the leader key), which ends the log streams open to the previous one,
 * so the follower reconnects to the new primary at once. With no primary known, every call
 * rejects (the follower retries with backoff, and its replica keeps serving reads).
 * `beforeReport` runs before each position report goes out (a node publishes its position in
 * etcd there, so that an acknowledged write is known to the election before it is acknowledged).
 *
 * @example
 * const feed = new LeaderFeed({ authToken, beforeReport: (report) => board.publish(report.position) });
 * feed.point('http://10.0.0.2:7878');
 * ReplicaFollower.start({ path, feed });
 */
export class LeaderFeed implements PrimaryFeed {
  readonly #authToken: string | undefined;
  readonly #beforeReport: (report: PositionReport) => Promise<void>;
  readonly #streams = new Set<AbortController>();
  #primary: HttpPrimaryFeed | undefined;

  constructor(options: { authToken?: string; beforeReport?: (report: PositionReport) => Promise<void> }) {
    this.#authToken = options.authToken;
    this.#beforeReport = options.beforeReport ?? (async () => {});
  }

  /** The primary's URL now, or `(no primary)`. */
  get source(): string {
    return this.#primary?.source ?? '(no primary)';
  }

  /** Points the feed at the primary at `url` (undefined: none known), ending streams to another. */
  point(url: string | undefined): void {
    if (url === this.#primary?.source) return;
    this.#primary =
      url === undefined
        ? undefined
        : new HttpPrimaryFeed({
            syncUrl: url,
            ...(this.#authToken === undefined ? {} : { authToken: this.#authToken }),
          });
    for (const stream of this.#streams) stream.abort();
    this.#streams.clear();
  }

  async snapshot(signal?: AbortSignal): Promise<SnapshotDownload> {
    return this.#current().snapshot(signal);
  }

  async log(from: bigint, signal: AbortSignal): Promise<LogOpening> {
    const primary = this.#current();
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    this.#streams.add(controller);
    const release = (): void => {
      this.#streams.delete(controller);
      signal.removeEventListener('abort', abort);
    };
    let opening: LogOpening;
    try {
      opening = await primary.log(from, controller.signal);
    } catch (error) {
      release();
      throw error;
    }
    if (opening.kind !== 'stream') {
      release();
      return opening;
    }
    return { ...opening, frames: untilDone(opening.frames, release) };
  }

  async report(report: PositionReport, timeoutMs: number): Promise<ReportOutcome> {
    const primary = this.#current();
    await this.#beforeReport(report);
    return primary.report(report, timeoutMs);
  }

  async status(timeoutMs: number): Promise<{ readonly position: Position; readonly dbId: string | undefined }> {
    return this.#current().status(timeoutMs);
  }

  #current(): HttpPrimaryFeed {
    if (this.#primary === undefined) throw new ClientError('no primary is known', 'PRIMARY_UNREACHABLE');
    return this.#primary;
  }
}

async function* untilDone<T>(items: AsyncIterable<T>, done: () => void): AsyncGenerator<T> {
  try {
    yield* items;
  } finally {
    done();
  }
}
