import { performance } from 'node:perf_hooks';
import type { EtcdConnection } from './etcd-connection.ts';
import { LeaderTerm } from './leader-term.ts';

/** Who leads a cluster, as its leader key says. */
export interface Leader {
  /** The primary's advertised base URL. */
  readonly url: string;
  /** The revision that created the key: the term's epoch. */
  readonly epoch: bigint;
  /** The position the term began at (its first record follows it), when the leader said it. */
  readonly from?: string;
}

/**
 * Options of {@link LeaderElection}.
 *
 * @example
 * new LeaderElection(etcd, { cluster: 'app', ttlSeconds: 2, clockMargin: 0.1 });
 */
export interface LeaderElectionOptions {
  /** The cluster's name: its keys live under `/<cluster>/`. */
  readonly cluster: string;
  /** The lease's TTL in seconds (etcd may grant more: its minimum is about 1.5 × its election timeout). */
  readonly ttlSeconds: number;
  /** See {@link DEFAULT_CLOCK_MARGIN}. */
  readonly clockMargin: number;
}

/**
 * The election on etcd's own primitives: a lease with a TTL and a transaction that creates the
 * leader key `/<cluster>/leader` only if it is absent, attached to the lease. The key's value is
 * JSON `{ url, epoch }`; the epoch is the revision that created it, which readers take from the
 * key itself. When the lease expires (its holder died, was paused, or lost etcd) etcd deletes
 * the key and the next {@link tryLead} can win.
 *
 * @example
 * const election = new LeaderElection(etcd, { cluster: 'app', ttlSeconds: 2, clockMargin: 0.1 });
 * const term = await election.tryLead('http://10.0.0.1:7878'); // undefined if someone leads
 * const leader = await election.leader(); // { url, epoch } or undefined
 */
export class LeaderElection {
  readonly key: string;
  readonly #etcd: EtcdConnection;
  readonly #options: Readonly<LeaderElectionOptions>;

  constructor(etcd: EtcdConnection, options: LeaderElectionOptions) {
    this.#etcd = etcd;
    this.#options = Object.freeze({ ...options });
    this.key = `/${options.cluster}/leader`;
  }

  /** The current leader, or undefined when the key is absent. Rejects if etcd cannot be read. */
  async leader(): Promise<Leader | undefined> {
    const entry = await this.#etcd.get(this.key);
    if (entry === undefined) return undefined;
    let value: { url?: unknown; from?: unknown };
    try {
      value = JSON.parse(entry.value) as { url?: unknown; from?: unknown };
    } catch {
      return undefined;
    }
    if (typeof value.url !== 'string') return undefined;
    return {
      url: value.url,
      epoch: entry.createRevision,
      ...(typeof value.from === 'string' ? { from: value.from } : {}),
    };
  }

  /**
   * Tries once to become the leader, advertising `url`: resolves with the term if this node
   * created the key, undefined if another one holds it (or, with `unchanged`, if a key under
   * that prefix was written after that revision). `from` is the position the term begins at,
   * told to the nodes that follow (a deposed primary counts its discarded tail from it). Rejects
   * if etcd cannot be reached.
   */
  async tryLead(
    url: string,
    unchanged?: { readonly prefix: string; readonly revision: bigint },
    from?: string,
  ): Promise<LeaderTerm | undefined> {
    const askedAt = performance.now();
    const lease = await this.#etcd.grant(this.#options.ttlSeconds);
    let epoch: bigint | undefined;
    try {
      epoch = await this.#etcd.createIfAbsent(this.key, JSON.stringify({ url, from }), lease.id, unchanged);
    } catch (error) {
      await this.#etcd.revoke(lease.id).catch(() => {});
      throw error;
    }
    if (epoch === undefined) {
      await this.#etcd.revoke(lease.id).catch(() => {});
      return undefined;
    }
    const term = new LeaderTerm(this.#etcd, lease, epoch, askedAt, this.#options.clockMargin);
    // The epoch in the value too, for people reading etcd; nodes read it from the key's revision.
    await this.#etcd
      .putIfCreatedAt(this.key, JSON.stringify({ url, epoch: epoch.toString(), from }), epoch, lease.id)
      .catch(() => {});
    return term;
  }
}
