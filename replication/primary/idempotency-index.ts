import { LogCorruptionError, Position, type TransactionLog, type TxRecord } from '../log/index.ts';

/**
 * A write found applied already by its idempotency key: where it is in the log and the answer
 * it was given (`undefined` when that answer was larger than a record keeps).
 */
export interface AppliedWrite {
  /** The position after the write's transaction: the `position` its answer carried. */
  readonly position: Position;
  /** The answer's JSON as first sent, without `position`; absent when it was too large to keep. */
  readonly result: Uint8Array | undefined;
}

/**
 * Which idempotency keys the retained log holds, and in which record: the primary's memory of
 * the writes it applied, so that a retry is answered instead of run again. Built from the log at
 * start-up ({@link note} each record read) and told of every record appended since; holds a txid
 * per key, not the answers, which are read back from the log when a retry comes
 * ({@link find}). Forgets what compaction removed from the log: a key older than the log's first
 * record is not found (its write would run again).
 *
 * @example
 * const index = new IdempotencyIndex(log);
 * for (const record of log.readFrom(first)) index.note(record);
 * index.find(key)?.position; // the write's position, if the log still holds it
 */
export class IdempotencyIndex {
  readonly #log: TransactionLog;
  readonly #txids = new Map<string, bigint>();
  /** Keys in log order, so that those compaction removed are dropped from the front. */
  readonly #order: Array<{ key: string; txid: bigint }> = [];
  #head = 0;

  constructor(log: TransactionLog) {
    this.#log = log;
  }

  /** How many keys the index holds. */
  get size(): number {
    return this.#txids.size;
  }

  /** Notes `record`'s key, if it has one (records are noted in txid order). */
  note(record: TxRecord): void {
    const key = record.meta?.idempotencyKey;
    if (key === undefined) return;
    this.#txids.set(key, record.txid);
    this.#order.push({ key, txid: record.txid });
    this.#forgetCompacted();
  }

  /**
   * The write recorded under `key`, read back from the log; `undefined` if the retained log has
   * none. Throws what reading the log throws (`LogCorruptionError` for a damaged record, which is
   * forgotten first: a retry after it runs the write again rather than fail forever).
   */
  find(key: string): AppliedWrite | undefined {
    this.#forgetCompacted();
    const txid = this.#txids.get(key);
    if (txid === undefined) return undefined;
    let record: TxRecord | undefined;
    try {
      record = this.#log.readFrom(txid).next().value as TxRecord | undefined;
    } catch (error) {
      if (error instanceof LogCorruptionError) this.#txids.delete(key);
      throw error;
    }
    if (record === undefined || record.meta?.idempotencyKey !== key) return undefined;
    return { position: new Position(record.txid, record.postChecksum), result: record.meta.result };
  }

  #forgetCompacted(): void {
    const first = this.#log.firstTxid() ?? 0n;
    while (this.#head < this.#order.length && this.#order[this.#head]!.txid < first) {
      const { key, txid } = this.#order[this.#head++]!;
      if (this.#txids.get(key) === txid) this.#txids.delete(key);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
