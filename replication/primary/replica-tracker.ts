import { Position, PROOF_PATTERN, type TxRecord } from '../log/index.ts';
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
  /** Whether this report confirms `position` for `quorum`: durable, ours, and proven held. */
  confirms: boolean;
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
 * A report of a position that is not the primary's (ahead of it, or another checksum at that
 * txid) or whose `proof` is not the record's (`recordProof`, looked up with `proofOf`) is
 * refused. A report confirms its position only with the proof, so knowing the position (which
 * `/health` publishes) is not enough to confirm a write. Replicas not heard of for
 * `forgetAfterMs` are dropped.
 *
 * @example
 * const tracker = new ReplicaTracker(primary.position(), 15_000, (txid) => log.recordProof(txid));
 * primary.onRecord((record) => tracker.committed(record));
 * await tracker.waitFor(position.txid, 10_000); // false on timeout
 */
export class ReplicaTracker {
  readonly #replicas = new Map<string, Entry>();
  /** txid → [checksum, commit time], for the last {@link RECENT_COMMITS} commits. */
  readonly #recent = new Map<bigint, readonly [bigint, number]>();
  readonly #waiters = new Set<Waiter>();
  readonly #forgetAfterMs: number;
  readonly #proofOf: (txid: bigint) => string | undefined;
  #position: Position;

  constructor(position: Position, forgetAfterMs: number, proofOf: (txid: bigint) => string | undefined) {
    this.#position = position;
    this.#forgetAfterMs = forgetAfterMs;
    this.#proofOf = proofOf;
    this.#recent.set(position.txid, [position.checksum, Date.now()]);
  }

  /** Tells the tracker a transaction committed. */
  committed(record: TxRecord): void {
    this.#position = new Position(record.txid, record.postChecksum);
    this.#recent.set(record.txid, [record.postChecksum, Date.now()]);
    if (this.#recent.size > RECENT_COMMITS) this.#recent.delete(this.#recent.keys().next().value!);
  }

  /**
   * Takes a replica's report (the body of `POST /v1/ack`); a {@link RequestError} `BAD_REQUEST` if it
   * is malformed, `ACK_REFUSED` if its position is ahead of the primary or of another history
   * (another checksum at that txid), or its `proof` is not the record's. A report without a proof
   * (a replica that has not received a record since it started) is listed in `/status` but
   * confirms nothing.
   */
  report(body: unknown): void {
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw bad('Expected the body to be an object');
    const { replica, name, position, durable, proof = null, ...rest } = body as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw bad(`Unknown field "${extra[0]}" in the body`);
    if (typeof replica !== 'string' || !/^[\w-]{1,64}$/.test(replica))
      throw bad('Expected "replica" to be an id of 1 to 64 letters, digits, "_" or "-"');
    if (typeof name !== 'string' || name.length > 512)
      throw bad('Expected "name" to be a string of at most 512 characters');
    if (typeof durable !== 'boolean') throw bad('Expected "durable" to be a boolean');
    let at: Position;
    try {
      at = Position.parse(String(position));
    } catch {
      throw bad('Expected "position" to be a position ("<txid>/<checksum>")');
    }
    if (proof !== null && (typeof proof !== 'string' || !PROOF_PATTERN.test(proof)))
      throw bad('Expected "proof" to be null or 8 hex digits');
    const proven = this.#check(at, proof);
    this.#forgetStale();
    const confirms = durable && proven && this.#isOurs(at);
    this.#replicas.set(replica, { name, position: at, durable, seenAt: Date.now(), confirms });
    if (confirms) {
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
      if (entry.confirms && entry.position.txid >= txid) return Promise.resolve(true);
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

  /**
   * Whether a report of `at` with `proof` shows that the replica holds the record at `at`; throws
   * `ACK_REFUSED` if the report cannot be true of this primary's history.
   */
  #check(at: Position, proof: string | null): boolean {
    if (at.txid > this.#position.txid) throw refused(`position ${at} is ahead of the primary's ${this.#position}`);
    const known = this.#recent.get(at.txid);
    if (known !== undefined && known[0] !== at.checksum)
      throw refused(`position ${at} is not the primary's at txid ${at.txid}`);
    if (proof === null) return false;
    const expected = this.#proofOf(at.txid);
    if (expected === undefined) return false;
    if (expected !== proof.toLowerCase())
      throw refused(`the proof ${proof} is not that of the record at txid ${at.txid}: the replica does not hold it`);
    return true;
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
  return new RequestError('BAD_REQUEST', message);
}

function refused(message: string): RequestError {
  return new RequestError('ACK_REFUSED', message);
}
