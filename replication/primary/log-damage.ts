import { LogCorruptionError, type TransactionLog, type TxRecord } from '../log/index.ts';

/**
 * What `/health` and `/status` say of damage to the log (`logDamage`): the damaged records still
 * in it (the oldest and newest txids, how many, the first damage found), and the segments set
 * aside at start-up, if any.
 */
export interface LogDamageReport {
  /** The oldest and newest damaged txids, as decimal text (absent when only `setAside` is). */
  readonly firstTxid?: string;
  readonly lastTxid?: string;
  /** How many records in the log are damaged. */
  readonly records: number;
  /** The first damage found, as `LogCorruptionError` worded it (file, field, offset). */
  readonly message?: string;
  /** Segments set aside at start-up: their files, the txids they held, and why. */
  readonly setAside?: {
    readonly files: readonly string[];
    readonly firstTxid: string;
    readonly lastTxid: string;
    readonly message: string;
  };
}

/**
 * The records of the primary's log found damaged (a flipped bit in a record's body, found by its
 * CRC): at start-up by {@link LogDamage.scan}, or later when a log stream reads one; and the
 * damaged segments the log set aside when it opened (`TransactionLog.setAside`). A damaged
 * record can never be sent, so a replica that needs it (one that would follow from it or from
 * before it) is sent to a snapshot instead (`LOG_DAMAGED`, PROTOCOL.md), and the damage is told once to
 * `say` (the primary's stderr) and shown in `/health` and `/status` until compaction deletes it.
 * The database itself is not affected: its file holds every committed transaction.
 *
 * @example
 * const damage = new LogDamage(log, console.warn);
 * damage.scan();
 * if (from <= (damage.lastTxid() ?? 0n)) sendToSnapshot();
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
   * damaged ones; `visit` is given each intact record, in txid order. Throws what the log throws
   * besides damage (`LogIoError`).
   *
   * @example
   * damage.scan((record) => keys.note(record)); // at start-up, before replicas are served
   */
  scan(visit?: (record: TxRecord) => void): void {
    const setAside = this.#log.setAside;
    if (setAside !== undefined) {
      this.#say(
        `log segments holding txids ${setAside.firstTxid}..${setAside.lastTxid} are damaged (${setAside.error.message}) ` +
          `and were set aside as ${setAside.paths.join(', ')}; replicas that need those records get a snapshot instead. ` +
          'The database is intact; delete the files once inspected',
      );
    }
    const first = this.#log.firstTxid();
    const last = this.#log.lastPosition()?.txid;
    if (first === undefined || last === undefined) return;
    // One pass, and a new one after each damaged record (an iterator ends at its first error).
    for (let txid = first; txid <= last;) {
      try {
        for (const record of this.#log.readFrom(txid)) {
          visit?.(record);
          if (++txid > last) break;
        }
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
    this.#say(
      `log record ${txid} is damaged and cannot be sent to replicas (${error.message}); ` +
        `replicas that need it get a snapshot instead. The database is intact; the damaged record leaves the log with compaction`,
    );
  }

  /** The newest damaged txid still in the log, `undefined` if none is. */
  lastTxid(): bigint | undefined {
    return this.#current().at(-1);
  }

  /** The damage still in the log, and segments set aside, for `/health` and `/status`; `undefined` if none. */
  report(): LogDamageReport | undefined {
    const txids = this.#current();
    const aside = this.#log.setAside;
    if (txids.length === 0 && aside === undefined) return undefined;
    return {
      ...(txids.length === 0 ? {} : { firstTxid: txids[0]!.toString(), lastTxid: txids.at(-1)!.toString() }),
      records: txids.length,
      ...(txids.length === 0 ? {} : { message: this.#records.get(txids[0]!)! }),
      ...(aside === undefined
        ? {}
        : {
            setAside: {
              files: aside.paths,
              firstTxid: aside.firstTxid.toString(),
              lastTxid: aside.lastTxid.toString(),
              message: aside.error.message,
            },
          }),
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
