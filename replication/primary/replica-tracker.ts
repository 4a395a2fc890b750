import { Position, type TxRecord } from '../log/index.ts';
import { RequestError } from './request-error.ts';

/** How many recent commits the tracker remembers (txid → checksum and time) to check acks and measure lag. */
const RECENT_COMMITS = 100_000;

/** What `/status` says of one replica. */
export interface ReplicaStatus {
  /** The follower's id (new each time a follower starts). */
  readonly id: string;
  /** What the replica calls itself (host and file by default). */
  readonly name: string;
  /** The position it last reported applied. */
  readonly position: string;
  /** Whether its applies are fsynced before it reports them (only those count for `quorum`). */
  readonly durable: boolean;
  /** Transactions the primary has committed that it has not reported. */
  readonly lagTxids: number;
  /** How long ago the first transaction it has not reported was committed, in ms (0 when level). */
  readonly lagMs: number;
  /** How long ago it last reported, in ms. */
  readonly lastSeenMs: number;
}

interface Entry {
  name: string;
  position: Position;
  durable: boolean;
  seenAt: number;
}

interface Waiter {
  readonly txid: bigint;
  readonly settle: (confirmed: boolean) => void;
}

/**
 * What the primary knows of its replicas: each follower reports (`POST /v1/ack`) the position it
 * has applied, after applies and on heartbeats. Feeds `/status` (positions and lag) and the
 * `quorum` durability mode, whose writes wait until a replica has the transaction durably.
 *
 * A report counts only if its checksum is the primary's at that txid, so a replica of another
 * history never confirms anything. Replicas not heard of for `forgetAfterMs` are dropped.
 *
 * @example
 * const tracker = new ReplicaTracker(primary.position(), 15_000);
 * primary.onRecord((record) => tracker.committed(record));
 * await tracker.waitFor(position.txid, 10_000); // false on timeout
 */
export class ReplicaTracker {
  readonly #replicas = new Map<string, Entry>();
  /** txid → [checksum, commit time], for the last {@link RECENT_COMMITS} commits. */
  readonly #recent = new Map<bigint, readonly [bigint, number]>();
  readonly #waiters = new Set<Waiter>();
  readonly #forgetAfterMs: number;
  #position: Position;

  constructor(position: Position, forgetAfterMs: number) {
    this.#position = position;
    this.#forgetAfterMs = forgetAfterMs;
    this.#recent.set(position.txid, [position.checksum, Date.now()]);
  }

  /** Tells the tracker a transaction committed. */
  committed(record: TxRecord): void {
    this.#position = new Position(record.txid, record.postChecksum);
    this.#recent.set(record.txid, [record.postChecksum, Date.now()]);
    if (this.#recent.size > RECENT_COMMITS) this.#recent.delete(this.#recent.keys().next().value!);
  }

  /**
   * Takes a replica's report (the body of `POST /v1/ack`); a {@link RequestError} 400 if it is
   * malformed. A position the primary does not know as its own is kept for `/status` but confirms
   * nothing.
   */
  report(body: unknown): void {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('Expected the body to be an object');
    const { replica, name, position, durable, ...rest } = body as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw bad(`Unknown field "${extra[0]}" in the body`);
    if (typeof replica !== 'string' || !/^[\w-]{1,64}$/.test(replica)) throw bad('Expected "replica" to be an id of 1 to 64 letters, digits, "_" or "-"');
    if (typeof name !== 'string' || name.length > 512) throw bad('Expected "name" to be a string of at most 512 characters');
    if (typeof durable !== 'boolean') throw bad('Expected "durable" to be a boolean');
    let at: Position;
    try {
      at = Position.parse(String(position));
    } catch {
      throw bad('Expected "position" to be a position ("<txid>/<checksum>")');
    }
    this.#forgetStale();
    this.#replicas.set(replica, { name, position: at, durable, seenAt: Date.now() });
    if (durable && this.#isOurs(at)) {
      for (const waiter of this.#waiters) {
        if (at.txid >= waiter.txid) {
          this.#waiters.delete(waiter);
          waiter.settle(true);
        }
      }
    }
  }

  /**
   * Resolves true once a replica has reported a durable position at or past `txid` (at once if
   * one already has), false after `timeoutMs`.
   */
  waitFor(txid: bigint, timeoutMs: number): Promise<boolean> {
    for (const entry of this.#replicas.values()) {
      if (entry.durable && entry.position.txid >= txid && this.#isOurs(entry.position)) return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        txid,
        settle: (confirmed) => {
          clearTimeout(timer);
          resolve(confirmed);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** The replicas heard of recently, most lagging first. */
  list(): ReplicaStatus[] {
    this.#forgetStale();
    const now = Date.now();
    const out: ReplicaStatus[] = [];
    for (const [id, entry] of this.#replicas) {
      const behind = this.#position.txid - entry.position.txid;
      const firstMissing = this.#recent.get(entry.position.txid + 1n);
      out.push({
        id,
        name: entry.name,
        position: entry.position.toString(),
        durable: entry.durable,
        lagTxids: behind > 0n ? Number(behind) : 0,
        lagMs: behind > 0n ? (firstMissing === undefined ? -1 : now - firstMissing[1]) : 0,
        lastSeenMs: now - entry.seenAt,
      });
    }
    return out.sort((a, b) => b.lagTxids - a.lagTxids);
  }

  /** Ends every wait (as timed out): the primary is closing. */
  close(): void {
    for (const waiter of this.#waiters) waiter.settle(false);
    this.#waiters.clear();
  }

  /** Whether `position` is on the primary's own history (as far as the recent commits tell). */
  #isOurs(position: Position): boolean {
    const known = this.#recent.get(position.txid);
    return known !== undefined && known[0] === position.checksum;
  }

  #forgetStale(): void {
    const now = Date.now();
    for (const [id, entry] of this.#replicas) {
      if (now - entry.seenAt > this.#forgetAfterMs) this.#replicas.delete(id);
    }
  }
}

function bad(message: string): RequestError {
  return new RequestError(400, 'BAD_REQUEST', message);
}
