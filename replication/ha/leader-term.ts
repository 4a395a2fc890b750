import { performance } from 'node:perf_hooks';
import type { EtcdConnection, GrantedLease } from './etcd-connection.ts';

/**
 * The part of its TTL a lease is trusted for, counted on this machine's clock from the moment
 * its keepalive was sent: the rest covers a clock that runs slower than etcd's and the time
 * between "may I acknowledge?" and the answer leaving.
 */
export const DEFAULT_CLOCK_MARGIN = 0.1;

/**
 * One node's term as the primary: the leader key it created, the epoch (the revision that
 * created it), and a local deadline past which it must not acknowledge a write. The deadline is
 * when its lease could expire in etcd at the earliest: the time each keepalive was *sent*, plus
 * the TTL etcd granted, shortened by `clockMargin`. Keepalives go out every third of the TTL; a
 * refused or unanswered one moves nothing, so a node cut off from etcd, or paused, passes its
 * deadline before etcd deletes the key and another node can create it.
 *
 * @example
 * const term = await LeaderTerm.begin(etcd, lease, 12n, sentAt);
 * if (!term.valid()) throw new Error('not the primary any more');
 * term.onEnd(() => stepDown());
 */
export class LeaderTerm {
  /** The revision that created the leader key: stamped into every record of the term. */
  readonly epoch: bigint;
  readonly #etcd: EtcdConnection;
  readonly #lease: GrantedLease;
  readonly #margin: number;
  readonly #listeners = new Set<(reason: string) => void>();
  #deadline: number;
  #ended: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;

  /**
   * `grantedAt` is `performance.now()` read just before the lease was asked for: etcd started its
   * TTL after that.
   */
  constructor(etcd: EtcdConnection, lease: GrantedLease, epoch: bigint, grantedAt: number, clockMargin: number) {
    this.#etcd = etcd;
    this.#lease = lease;
    this.epoch = epoch;
    this.#margin = clockMargin;
    this.#deadline = this.#trustedUntil(grantedAt, lease.ttlSeconds);
    this.#arm();
    this.#keepalive = setInterval(() => void this.#renew(), (lease.ttlSeconds * 1000) / 3);
  }

  /** Whether this node may still acknowledge writes: the term has not ended and its deadline is ahead. */
  valid(): boolean {
    return this.#ended === undefined && performance.now() < this.#deadline;
  }

  /** Milliseconds until the local deadline (negative once past). */
  remainingMs(): number {
    return this.#deadline - performance.now();
  }

  /** Why the term ended, once it has. */
  get ended(): string | undefined {
    return this.#ended;
  }

  /** Calls `listener` once when the term ends (deadline passed, lease lost, or {@link end}). */
  onEnd(listener: (reason: string) => void): void {
    if (this.#ended !== undefined) listener(this.#ended);
    else this.#listeners.add(listener);
  }

  /** Ends the term and revokes the lease (the leader key goes at once). */
  async end(reason = 'stepped down'): Promise<void> {
    const first = this.#ended === undefined;
    this.#finish(reason);
    if (first) await this.#etcd.revoke(this.#lease.id).catch(() => {});
  }

  #trustedUntil(sentAt: number, ttlSeconds: number): number {
    return sentAt + ttlSeconds * 1000 * (1 - this.#margin);
  }

  async #renew(): Promise<void> {
    if (this.#ended !== undefined) return;
    const sentAt = performance.now();
    let ttl: number;
    try {
      ttl = await this.#etcd.keepAlive(this.#lease.id);
    } catch {
      // The deadline stays where it was: if etcd stays out of reach, the term ends there.
      return;
    }
    if (ttl <= 0) return this.#finish('the lease expired in etcd');
    this.#deadline = Math.max(this.#deadline, this.#trustedUntil(sentAt, ttl));
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        if (performance.now() >= this.#deadline) this.#finish('the lease could not be renewed in time');
        else this.#arm();
      },
      Math.max(0, this.#deadline - performance.now()),
    );
  }

  #finish(reason: string): void {
    if (this.#ended !== undefined) return;
    this.#ended = reason;
    clearTimeout(this.#timer);
    clearInterval(this.#keepalive);
    for (const listener of this.#listeners) listener(reason);
    this.#listeners.clear();
  }
}
