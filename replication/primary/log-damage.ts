import { LogCorruptionError, type TransactionLog } from '../log/index.ts';

/**
 * What `/health` and `/status` say of damaged records (`logDamage`): the damaged txids still in
 * the log, and the first damage found.
 */
export interface LogDamageReport {
  /** The oldest and newest damaged txids, as decimal text. */
  readonly firstTxid: string;
  readonly lastTxid: string;
  /** How many records are damaged. */
  readonly records: number;
  /** The first damage found, as `LogCorruptionError` worded it (file, field, offset). */
  readonly message: string;
}

/**
 * The records of the primary's log found damaged (a flipped bit in a record's body, found by its
 * CRC): at start-up by {@link LogDamage.scan}, or later when a log stream reads one. A damaged
 * record can never be sent, so a replica that needs it (one that would follow from it or from
 * before it) is sent to a snapshot instead (410, PROTOCOL.md), and the damage is told once to
 * `say` (the primary's stderr) and shown in `/health` and `/status` until compaction deletes it.
 * The database itself is not affected: its file holds every committed transaction.
 *
 * @example
 * const damage = new LogDamage(log, console.warn);
 * damage.scan();
 * if (from <= (damage.lastTxid() ?? 0n)) refuseWith410();
 */
export class LogDamage {
  readonly #log: TransactionLog;
  readonly #say: (message: string) => void;
  /** Damaged txid → what is wrong with it. */
  readonly #records = new Map<bigint, string>();

  constructor(log: TransactionLog, say: (message: string) => void) {
    this.#log = log;
    this.#say = say;
  }

  /**
   * Reads and verifies every record of the log (both CRCs, as a stream would) and notes the
   * damaged ones. Throws what the log throws besides damage (`LogIoError`).
   *
   * @example
   * damage.scan(); // at start-up, before replicas are served
   */
  scan(): void {
    const first = this.#log.firstTxid();
    const last = this.#log.lastPosition()?.txid;
    if (first === undefined || last === undefined) return;
    // One pass, and a new one after each damaged record (an iterator ends at its first error).
    for (let txid = first; txid <= last;) {
      try {
        for (const _ of this.#log.readEncodedFrom(txid)) if (++txid > last) break;
        return;
      } catch (error) {
        if (!(error instanceof LogCorruptionError)) throw error;
        this.note(txid++, error);
      }
    }
  }

  /**
   * Notes that record `txid` is damaged (`error` says how) and says so, once per record.
   *
   * @example
   * damage.note(next, error); // a log stream could not read record `next`
   */
  note(txid: bigint, error: Error): void {
    if (this.#records.has(txid)) return;
    this.#records.set(txid, error.message);
    this.#say(`log record ${txid} is damaged and cannot be sent to replicas (${error.message}); `
      + `replicas that need it get a snapshot instead. The database is intact; the damaged record leaves the log with compaction`);
  }

  /** The newest damaged txid still in the log, `undefined` if none is. */
  lastTxid(): bigint | undefined {
    return this.#current().at(-1);
  }

  /** The damage still in the log, for `/health` and `/status`; `undefined` if there is none. */
  report(): LogDamageReport | undefined {
    const txids = this.#current();
    if (txids.length === 0) return undefined;
    return {
      firstTxid: txids[0]!.toString(), lastTxid: txids.at(-1)!.toString(), records: txids.length, message: this.#records.get(txids[0]!)!,
    };
  }

  /** The damaged txids not yet compacted away, ascending; forgets the others. */
  #current(): bigint[] {
    if (this.#records.size === 0) return [];
    const first = this.#log.firstTxid() ?? 0n;
    for (const txid of this.#records.keys()) if (txid < first) this.#records.delete(txid);
    return [...this.#records.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
