import type { Position } from '../log/index.ts';

/**
 * A primary's snapshot as it arrives: what it is (position, database identity, page size) and its
 * bytes, which the reader must consume or {@link SnapshotDownload.cancel}.
 *
 * @example
 * const snapshot = await feed.snapshot();
 * for await (const chunk of snapshot.body) out.write(chunk);
 */
export interface SnapshotDownload {
  /** The position the snapshot's database is at. */
  readonly position: Position;
  /** The primary's database identity (its `-dbid`). */
  readonly dbId: string;
  readonly pageSize: number;
  /** The announced length in bytes: a body that ends short of it is cut off, not a database. */
  readonly length: number;
  /** The proof of possession (`recordProof`) of the record at `position`, when the primary has it. */
  readonly proof: string | undefined;
  /** The epoch of the primary's term, when it says it. */
  readonly epoch?: bigint;
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * What opening the log at a txid gave: the records from there on (`stream`), or why there are
 * none to give: `compacted` (the primary no longer has that txid: fetch a snapshot) or `ahead`
 * (the replica is past the primary's position: another history).
 */
export type LogOpening =
  | {
      readonly kind: 'stream';
      readonly dbId: string;
      /** The epoch of the primary's term, when it says it: a follower refuses an older one than it has seen. */
      readonly epoch?: bigint;
      /** `quorum` when the primary's writes wait for replicas' reports: report each apply at once. */
      readonly durability: 'async' | 'quorum';
      /**
       * The encoded records (`TxRecord.decode`), in batches as they arrive; a zero-length frame is
       * a heartbeat. It ends or throws when the connection does.
       */
      readonly frames: AsyncIterable<Uint8Array[]>;
    }
  | { readonly kind: 'compacted'; readonly epoch?: bigint }
  | { readonly kind: 'ahead'; readonly epoch?: bigint };

/** A replica's report of its position to the primary (see replication/PROTOCOL.md, `POST /v1/ack`). */
export interface PositionReport {
  /** This follower's id, the same for its lifetime. */
  readonly replica: string;
  readonly name: string;
  readonly position: string;
  /** The proof of possession of the record at `position`, or null when the follower has none. */
  readonly proof: string | null;
  /** Whether the position is durable (the follower syncs each apply). */
  readonly durable: boolean;
}

/**
 * How a report fared: taken, or refused (`forbidden` when the credentials may follow but not
 * report, which will not change).
 */
export type ReportOutcome =
  | { readonly accepted: true }
  | {
      readonly accepted: false;
      readonly forbidden: boolean;
      /** What refused it, in a word (the protocol's error code): the same code, the same refusal. */
      readonly code: string;
      readonly reason: string;
    };

/**
 * What a {@link ReplicaFollower} needs from a primary, and all it knows of one: its snapshot, its
 * log from a txid, where to report positions, and where it stands. `HttpPrimaryFeed`
 * (replication/http) implements it over a primary's HTTP API; a feed that follows whichever
 * node holds the leader key is what failover gives a follower.
 *
 * Failures: each method rejects with an Error when the primary cannot be asked (the follower
 * retries with backoff); answers that say something (a compacted log, a refused report) resolve.
 * `status` rejects with the client's errors (a ClientError `PRIMARY_UNREACHABLE` or
 * `PRIMARY_ERROR`), since `ReplicaFollower.sync` passes them on to the user.
 *
 * @example
 * const follower = ReplicaFollower.start({ path: 'replica.db', feed: new HttpPrimaryFeed({ syncUrl }) });
 */
export interface PrimaryFeed {
  /** Where the feed comes from now, for messages (a URL). */
  readonly source: string;
  /** Opens the primary's snapshot. */
  snapshot(signal?: AbortSignal): Promise<SnapshotDownload>;
  /** Opens the log at txid `from`; aborting `signal` ends the stream. */
  log(from: bigint, signal: AbortSignal): Promise<LogOpening>;
  /** Reports this replica's position; `timeoutMs` bounds the wait for an answer. */
  report(report: PositionReport, timeoutMs: number): Promise<ReportOutcome>;
  /** The primary's position now, and its database identity when it says it. */
  status(timeoutMs: number): Promise<{ readonly position: Position; readonly dbId: string | undefined }>;
}
