import { positiveInteger } from '../../core/util/option-checks.ts';
import type { TransactionLog } from '../log/index.ts';

/**
 * A reader's claim on the log: the records from {@link LogHold.next} on stay until it is
 * released.
 *
 * @example
 * const hold = retention.hold(from);
 * hold.next = sentTxid + 1n;
 * hold.release();
 */
export interface LogHold {
  /** The next txid this reader has to send: compaction keeps it and everything after. */
  next: bigint;
  /** Drops the claim (idempotent). */
  release(): void;
}

/**
 * The primary's log retention: keeps at least the latest `retainTxids` transactions, and every
 * record a connected log stream still has to send, and deletes the segments older than both.
 * Holding back for connected streams means a replica catching up is never cut off mid-stream
 * (which could loop it through snapshots under a steady write load); the price is that a stream
 * that stops reading but stays connected pins the log until it disconnects.
 *
 * {@link compact} only deletes whole segments (`TransactionLog.compact`): it costs a comparison
 * unless the oldest segment can go, so it runs after every append.
 *
 * @example
 * const retention = new LogRetention(log, 10_000);
 * primary.onRecord(() => retention.compact());
 */
export class LogRetention {
  readonly #log: TransactionLog;
  readonly #retainTxids: bigint;
  readonly #holds = new Set<LogHold>();

  constructor(log: TransactionLog, retainTxids: number) {
    positiveInteger(retainTxids, 'logRetainTxids');
    this.#log = log;
    this.#retainTxids = BigInt(retainTxids);
  }

  /**
   * Keeps the records from `from` on until the returned hold moves on or is released.
   *
   * @example
   * const hold = retention.hold(8n);
   */
  hold(from: bigint): LogHold {
    const holds = this.#holds;
    const hold: LogHold = { next: from, release: () => void holds.delete(hold) };
    holds.add(hold);
    return hold;
  }

  /**
   * The oldest txid that must stay: the latest `retainTxids` and whatever a hold still needs.
   * `undefined` while the log is empty.
   */
  keepFrom(): bigint | undefined {
    const last = this.#log.lastPosition()?.txid;
    if (last === undefined) return undefined;
    let keep = last - this.#retainTxids + 1n;
    for (const hold of this.#holds) if (hold.next < keep) keep = hold.next;
    return keep;
  }

  /**
   * Deletes the segments no longer needed (see the class); returns how many. Throws what
   * `TransactionLog.compact` throws (`LogIoError`).
   *
   * @example
   * retention.compact();
   */
  compact(): number {
    const keep = this.keepFrom();
    return keep === undefined || keep <= 1n ? 0 : this.#log.compact(keep);
  }
}
