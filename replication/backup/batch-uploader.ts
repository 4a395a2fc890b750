import { Position, type TxRecord } from '../log/index.ts';
import { batchName } from './archive-names.ts';
import type { BackupTarget } from './backup-target.ts';
import { encodeRecordBatch } from './record-batch.ts';

/** Flush a batch at once past this many bytes of records, whatever the lag. */
const FLUSH_BYTES = 8 << 20;
/** After a failed upload, the records are tried again this long after. */
const RETRY_MS = 1000;

/** A verified record waiting to be stored: its bytes as received and what they decode to. */
interface Pending {
  readonly bytes: Uint8Array;
  readonly record: TxRecord;
}

/**
 * The archiver's records between the log stream and the target: verified records wait here and
 * are stored as one record batch object of the current generation often enough that none waits
 * longer than the lag allows. The archived position moves only once a batch is stored; an upload
 * that fails keeps its records, which are tried again.
 *
 * @example
 * const uploader = new BatchUploader(target, 1000, { stored: (pos) => …, failed: (error) => … });
 * uploader.reset('8c5e…-0000018bcfe56800', snapshotPosition);
 * uploader.push(frame, record); // verified to continue uploader.head
 */
export class BatchUploader {
  readonly #target: BackupTarget;
  readonly #maxLagMs: number;
  readonly #events: { stored(position: Position): void; failed(error: unknown): void };
  #generation: string | undefined;
  #archived: Position | undefined;
  /** Consecutive from `#archived`. */
  #pending: Pending[] = [];
  #pendingBytes = 0;
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failed = false;
  #stopped = false;
  /** When the scheduled flush was due, and how late past that flushes end (moving average, ms). */
  #due: number | undefined;
  #lateness = 0;

  constructor(
    target: BackupTarget,
    maxLagMs: number,
    events: { stored(position: Position): void; failed(error: unknown): void },
  ) {
    this.#target = target;
    this.#maxLagMs = maxLagMs;
    this.#events = events;
  }

  /** The newest position stored, `undefined` before the generation's first snapshot. */
  get archived(): Position | undefined {
    return this.#archived;
  }

  /** Where the next record must continue from: the last one pending, or the archived position. */
  get head(): Position | undefined {
    const last = this.#pending.at(-1)?.record;
    return last === undefined ? this.#archived : new Position(last.txid, last.postChecksum);
  }

  /** Bytes of records received and not yet stored. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Commit time of the oldest record not yet stored, `undefined` when none waits. */
  get oldestPending(): number | undefined {
    return this.#pending[0]?.record.timestamp;
  }

  /**
   * Starts over in `generation` (its name) at `archived`: records still pending are dropped (store
   * them first with {@link flushAll} if they belong to it).
   */
  reset(generation: string | undefined, archived: Position | undefined): void {
    this.#generation = generation;
    this.#archived = archived;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /** Queues a record the caller verified to continue {@link head}, and arranges its upload. */
  push(bytes: Uint8Array, record: TxRecord): void {
    this.#pending.push({ bytes, record });
    this.#pendingBytes += bytes.length;
    this.#schedule();
  }

  /** Stores every pending record now; rejects if the upload fails (they stay pending). */
  async flushAll(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing?.catch(() => {});
    if (this.#pending.length > 0) await this.#flush();
  }

  /** Schedules nothing more; an upload in progress ends on its own. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Arranges for the pending records to be stored within the lag: counted from the oldest one's
   * commit time (a record that reached the archiver late waits less), half of `maxLagMs` after it,
   * or sooner when recent uploads ended late (a busy event loop), or at once past
   * {@link FLUSH_BYTES}.
   */
  #schedule(): void {
    if (this.#pending.length === 0 || this.#flushing !== undefined || this.#stopped) return;
    if (this.#pendingBytes >= FLUSH_BYTES) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#flush().catch(() => {});
      return;
    }
    if (this.#timer !== undefined) return;
    // Early enough that the upload, as late as the recent ones ended, ends within the lag; never
    // sooner than a tenth of it after the commit, which bounds the objects a second.
    const lag = this.#maxLagMs;
    const due = this.#pending[0]!.record.timestamp + Math.max(lag / 10, Math.min(lag / 2, lag - 2 * this.#lateness));
    this.#due = due;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, due - Date.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    void this.#flush().catch(() => {});
  }

  /** Stores the pending records as one batch; on failure they stay pending and are retried. */
  #flush(): Promise<void> {
    if (this.#flushing !== undefined) return this.#flushing;
    if (this.#pending.length === 0 || this.#generation === undefined) return Promise.resolve();
    // A copy: records keep arriving in #pending while this batch uploads.
    const records = this.#pending.slice();
    const bytes = this.#pendingBytes;
    const generation = this.#generation;
    this.#flushing = (async () => {
      const first = records[0]!.record;
      const last = records.at(-1)!.record;
      try {
        const name = {
          firstTxid: first.txid,
          lastTxid: last.txid,
          firstTime: first.timestamp,
          lastTime: last.timestamp,
        };
        await this.#target.put(batchName(generation, name), encodeRecordBatch(records));
      } catch (error) {
        this.#failed = true;
        this.#events.failed(error);
        throw error;
      }
      this.#failed = false;
      this.#lateness = 0.7 * this.#lateness + 0.3 * Math.max(0, Date.now() - (this.#due ?? Date.now()));
      this.#due = undefined;
      // Records that arrived during the upload stay pending; the stored ones leave. (A reset
      // during the upload started over: nothing of it moves.)
      if (this.#pending[0] === records[0] && this.#generation === generation) {
        this.#pending = this.#pending.slice(records.length);
        this.#pendingBytes -= bytes;
        this.#archived = new Position(last.txid, last.postChecksum);
        this.#events.stored(this.#archived);
      }
    })().finally(() => {
      this.#flushing = undefined;
      if (this.#stopped) return;
      if (this.#failed && this.#pending.length > 0) this.#timer ??= setTimeout(() => this.#fire(), RETRY_MS);
      else this.#schedule();
    });
    return this.#flushing;
  }
}
