import { Position, TxRecord } from '../log/index.ts';
import { readFrameBatches } from '../http/frame-reader.ts';
import { ArchiveCatalog, type GenerationEntry } from './archive-catalog.ts';
import { generationName, parseGenerationName, type Generation } from './archive-names.ts';
import type { BackupTarget } from './backup-target.ts';
import { openTarget } from './open-target.ts';
import { BatchUploader } from './batch-uploader.ts';
import { decodeRecordBatch } from './record-batch.ts';
import { applyRetention, type RetentionPolicy } from './retention.ts';
import { uploadSnapshot } from './snapshot-upload.ts';

/**
 * Options of {@link Archiver.start} (and of `startPrimary({ archive })`, without `url`).
 *
 * @example
 * Archiver.start({ url: 'http://127.0.0.1:7878', authToken: replicaToken, target: '/mnt/backup/app' });
 */
export interface ArchiverOptions {
  /** The primary's base URL. */
  readonly url: string;
  /** A read, replica or write token of the primary. */
  readonly authToken?: string;
  /** Where to archive: a directory, `s3://bucket/prefix[?endpoint=…]`, or a {@link BackupTarget}. */
  readonly target: string | BackupTarget;
  /** Records committed longer ago than this are in the archive (default 1000 ms). */
  readonly maxLagMs?: number;
  /** A new snapshot this often, in ms (default 1 hour), and at the start of each generation. */
  readonly snapshotIntervalMs?: number;
  /** Keep at least this many of the newest snapshots (default 2). */
  readonly retainSnapshots?: number;
  /** Keep snapshots (and what they need) younger than this, in ms (default 7 days). */
  readonly retainMs?: number;
  /** Merge record batches older than this, in ms, into larger objects (default 10 minutes). */
  readonly compactAfterMs?: number;
  /** Where failures and generations are told (default `console.warn`). */
  readonly log?: (message: string) => void;
  /** The primary's position, when the archiver runs in its process (for the lag in {@link Archiver.status}). */
  readonly position?: () => Position;
}

/**
 * Where an archive stands, as `/status` shows it under `archive`: the `target`, the generation
 * being written, the newest archived `position` (text, `null` before the first snapshot), the
 * transactions committed but not yet archived (`lagTxids`) and how long ago the oldest of them was
 * committed (`lagMs`, 0 when level), the newest snapshot, and the last failure (`null` once
 * an upload succeeds again).
 */
export interface ArchiveStatus {
  readonly target: string;
  readonly generation: string | null;
  readonly position: string | null;
  readonly lagTxids: number;
  readonly lagMs: number;
  readonly lastSnapshot: string | null;
  readonly error: string | null;
}

/**
 * Past this many bytes of records not stored (the target failing or slow), the log stream is left
 * until they are: memory stays bounded, and the primary's log keeps the records meanwhile (or the
 * archiver takes a snapshot if it no longer has them).
 */
const MAX_PENDING_BYTES = 64 << 20;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
const IDLE_TIMEOUT_MS = 20_000;
/** Compacted batches are about this large. */
const COMPACT_BYTES = 64 << 20;

function positiveInteger(value: unknown, name: string, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || (v as number) < 1)
    throw new TypeError(`Expected the "${name}" option to be a positive integer`);
  return v as number;
}

/** Why following stopped and what comes next. */
type Turn = 'compacted' | 'diverged' | 'another database' | 'backlog';

/**
 * Continuous backup: follows a primary's HTTP API as a replica does (`GET /v1/log`,
 * `GET /v1/snapshot`), and stores what it receives in a {@link BackupTarget} instead of
 * applying it (FORMAT.md, "Backup archive"). Each record is verified (both CRCs, the chain of
 * txids and checksums) before it is stored; records are uploaded in batches often enough that the
 * archive trails the primary by at most `maxLagMs` of commits; snapshots are taken every
 * `snapshotIntervalMs`, after which retention and compaction run.
 *
 * It resumes from what the archive holds: started again (after a restart of the primary, or on a
 * new primary after a failover), it finds the newest generation of the primary's database and
 * continues it from its newest position if that is on the primary's history, and begins a new
 * generation (with a snapshot) if it is not. A primary whose log no longer has the next record
 * gets a snapshot in the same generation.
 *
 * @example
 * const archiver = Archiver.start({ url: primary.url, target: '/mnt/backup/app' });
 * await archiver.waitFor(primary.position().txid, 5000);
 * await archiver.close();
 */
export class Archiver {
  readonly target: BackupTarget;
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #maxLagMs: number;
  readonly #snapshotIntervalMs: number;
  readonly #policy: RetentionPolicy;
  readonly #log: (message: string) => void;
  readonly #primaryPosition: (() => Position) | undefined;
  #generation: Generation | undefined;
  /** Verified records on their way to the target, and the newest position stored. */
  readonly #uploader: BatchUploader;
  #seenTxid = 0n;
  #lastSnapshot: { readonly object: string; readonly at: number } | undefined;
  #snapshotting: Promise<void> | undefined;
  #snapshotFailedAt = 0;
  #error: string | undefined;
  #closed = false;
  #backoff = MIN_BACKOFF_MS;
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #running: Promise<void> = Promise.resolve();
  readonly #waiters = new Set<{ txid: bigint; resolve: () => void }>();

  private constructor(options: ArchiverOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected the "options" argument to be an object');
    if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url))
      throw new TypeError('Expected the "url" option to be an http(s) URL');
    if (options.authToken !== undefined && (typeof options.authToken !== 'string' || options.authToken === ''))
      throw new TypeError('Expected the "authToken" option to be a non-empty string');
    if (options.log !== undefined && typeof options.log !== 'function')
      throw new TypeError('Expected the "log" option to be a function');
    this.target = openTarget(options.target);
    this.#url = options.url.replace(/\/+$/, '');
    this.#headers = options.authToken === undefined ? {} : { authorization: `Bearer ${options.authToken}` };
    this.#maxLagMs = positiveInteger(options.maxLagMs, 'maxLagMs', 1000);
    this.#snapshotIntervalMs = positiveInteger(options.snapshotIntervalMs, 'snapshotIntervalMs', 3_600_000);
    this.#policy = {
      snapshots: positiveInteger(options.retainSnapshots, 'retainSnapshots', 2),
      maxAgeMs: positiveInteger(options.retainMs, 'retainMs', 7 * 86_400_000),
      compactAfterMs: positiveInteger(options.compactAfterMs, 'compactAfterMs', 600_000),
      compactBytes: COMPACT_BYTES,
    };
    this.#log = options.log ?? ((message) => console.warn(`wasmlite archiver ${this.target.location}: ${message}`));
    this.#primaryPosition = options.position;
    this.#uploader = new BatchUploader(this.target, this.#maxLagMs, {
      stored: () => {
        this.#error = undefined;
        this.#notify();
      },
      failed: (error) => this.#fail(error),
    });
  }

  /**
   * Starts archiving in the background; throws a TypeError for bad options. Failures (the
   * primary or the target unreachable) are retried with backoff and shown in {@link status}.
   *
   * @example
   * const archiver = Archiver.start({ url: 'http://127.0.0.1:7878', target: 's3://backups/app' });
   */
  static start(options: ArchiverOptions): Archiver {
    const archiver = new Archiver(options);
    archiver.#running = archiver.#run();
    return archiver;
  }

  /** The newest position stored in the archive, `undefined` before the first snapshot. */
  get position(): Position | undefined {
    return this.#uploader.archived;
  }

  /**
   * Where the archive stands (see {@link ArchiveStatus}).
   *
   * @example
   * archiver.status().lagMs; // 0 when every commit is archived
   */
  status(): ArchiveStatus {
    const archived = this.#uploader.archived?.txid ?? 0n;
    const head = this.#primaryPosition?.().txid ?? this.#seenTxid;
    const oldest = this.#uploader.oldestPending;
    return {
      target: this.target.location,
      generation: this.#generation === undefined ? null : generationName(this.#generation),
      position: this.#uploader.archived?.toString() ?? null,
      lagTxids: Number(head > archived ? head - archived : 0n),
      lagMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest),
      lastSnapshot: this.#lastSnapshot?.object ?? null,
      error: this.#error ?? null,
    };
  }

  /**
   * The archive's state as Prometheus lines (appended to the primary's `/metrics`):
   * `wasmlite_archive_txid`, `wasmlite_archive_lag_transactions`, `wasmlite_archive_lag_seconds`
   * and `wasmlite_archive_failing` (1 while uploads fail).
   *
   * @example
   * res.end(metrics.render(…) + archiver.metrics());
   */
  metrics(): string {
    const status = this.status();
    return [
      '# HELP wasmlite_archive_txid The newest transaction stored in the backup archive.',
      '# TYPE wasmlite_archive_txid gauge',
      `wasmlite_archive_txid ${this.#uploader.archived?.txid ?? 0n}`,
      '# HELP wasmlite_archive_lag_transactions Transactions committed and not yet stored in the backup archive.',
      '# TYPE wasmlite_archive_lag_transactions gauge',
      `wasmlite_archive_lag_transactions ${status.lagTxids}`,
      '# HELP wasmlite_archive_lag_seconds Age of the oldest transaction received and not yet stored in the backup archive.',
      '# TYPE wasmlite_archive_lag_seconds gauge',
      `wasmlite_archive_lag_seconds ${status.lagMs / 1000}`,
      '# HELP wasmlite_archive_failing 1 while the archiver fails to follow the primary or to store, else 0.',
      '# TYPE wasmlite_archive_failing gauge',
      `wasmlite_archive_failing ${status.error === null ? 0 : 1}`,
      '',
    ].join('\n');
  }

  /**
   * Resolves once the archive holds txid `txid`; rejects after `timeoutMs` or if closed first.
   *
   * @example
   * await archiver.waitFor(primary.position().txid, 5000);
   */
  waitFor(txid: bigint, timeoutMs: number): Promise<void> {
    if (typeof txid !== 'bigint') throw new TypeError('Expected the "txid" argument to be a bigint');
    if ((this.#uploader.archived?.txid ?? -1n) >= txid) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        txid,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(`the archive did not reach txid ${txid} within ${timeoutMs} ms (${JSON.stringify(this.status())})`),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /**
   * Stops following, stores the records received so far, and waits for uploads in progress (a
   * snapshot being uploaded is abandoned: nothing of it is published).
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#abort.abort();
      this.#wake?.();
      this.#uploader.stop();
    }
    await this.#running;
    await this.#snapshotting;
    await this.#uploader.flushAll().catch(() => {});
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        if (this.#generation === undefined) await this.#resume();
        else if (this.#uploader.archived === undefined) await this.#snapshot(true);
        if (this.#closed) break;
        if (this.#generation === undefined || this.#uploader.archived === undefined) {
          await this.#sleep(this.#maxLagMs);
          continue;
        }
        const turn = await this.#follow();
        if (this.#closed) break;
        if (turn === 'backlog') {
          // Throws while the target keeps failing: retried with backoff, the stream left closed.
          await this.#uploader.flushAll();
        } else if (turn === 'compacted') {
          this.#log(`the primary's log no longer has txid ${this.#headPosition().txid + 1n}: taking a snapshot`);
          await this.#uploader.flushAll();
          await this.#snapshot(true);
        } else {
          await this.#uploader.flushAll();
          if (turn === 'another database') {
            // The primary's log was begun again (a new identity): #resume finds or begins its generation.
            this.#generation = undefined;
          } else {
            this.#log(`the primary's history is not the archive's past ${this.#headPosition()}`);
            this.#generation = { dbId: this.#generation!.dbId, createdAt: Date.now() };
            this.#log(`beginning generation ${generationName(this.#generation)}`);
          }
          this.#uploader.reset(this.#generation && generationName(this.#generation), undefined);
        }
        this.#backoff = MIN_BACKOFF_MS;
      } catch (error) {
        if (this.#closed) break;
        this.#fail(error);
        await this.#sleep(this.#backoff);
        this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  #fail(error: unknown): void {
    const message = (error as Error).message;
    if (message !== this.#error) this.#log(message);
    this.#error = message;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.#wake = undefined));
  }

  /** The last record received (stored or not), or the archived position. */
  #headPosition(): Position {
    return this.#uploader.head!;
  }

  /**
   * Finds the generation to continue: the newest of the primary's database in the archive, from
   * its newest restorable position; or begins a new one with a snapshot.
   */
  async #resume(): Promise<void> {
    const response = await fetch(`${this.#url}/status`, { headers: this.#headers, signal: this.#abort.signal });
    if (response.status !== 200) throw new Error(`GET /status: HTTP ${response.status} ${await response.text()}`);
    const { dbId } = (await response.json()) as { dbId: string };
    const catalog = await ArchiveCatalog.read(this.target, dbId);
    const newest = catalog.generations.filter((g) => g.snapshots.length > 0).at(-1);
    const head = newest === undefined ? undefined : await this.#newestPosition(catalog, newest);
    if (newest !== undefined && head !== undefined) {
      this.#generation = parseGenerationName(newest.name)!;
      this.#uploader.reset(newest.name, head);
      this.#lastSnapshot = { object: newest.snapshots.at(-1)!.object, at: newest.snapshots.at(-1)!.snapshot.asOf };
      this.#log(`continuing generation ${newest.name} from ${head}`);
    } else {
      this.#generation = { dbId, createdAt: Date.now() };
      this.#uploader.reset(generationName(this.#generation), undefined);
      this.#lastSnapshot = undefined;
      this.#log(`beginning generation ${generationName(this.#generation)}`);
    }
    if (this.#uploader.archived === undefined) await this.#snapshot(true);
    this.#error = undefined;
  }

  /** The position after the newest restorable point of `generation`, read from its last batch. */
  async #newestPosition(catalog: ArchiveCatalog, generation: GenerationEntry): Promise<Position | undefined> {
    const range = catalog.ranges(generation).at(-1)!;
    const last = range.batches.at(-1);
    if (last === undefined) return range.snapshots.at(-1)!.snapshot.position;
    const bytes = await this.target.get(last.object);
    if (bytes === undefined) return undefined;
    try {
      const records = decodeRecordBatch(bytes, last.object, last.batch, generation.dbId);
      return new Position(records.at(-1)!.txid, records.at(-1)!.postChecksum);
    } catch (error) {
      this.#log(`${(error as Error).message}: beginning a new generation`);
      return undefined;
    }
  }

  /**
   * Stores a snapshot of the primary in the current generation; with `required`, retries until one
   * is stored (a new generation, or a gap in the log, cannot go on without one). Then applies
   * retention.
   */
  async #snapshot(required: boolean): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const stored = await uploadSnapshot(this.target, this.#generation!, this.#url, this.#headers, this.#abort.signal);
      if (stored !== undefined) {
        this.#lastSnapshot = { object: stored.object, at: Date.now() };
        // Where the records stop (a new generation, a gap in the log), the snapshot is the new
        // head; a periodic one changes nothing of the records, which go on unbroken.
        if (required) {
          this.#uploader.reset(generationName(this.#generation!), stored.position);
          this.#notify();
        }
        break;
      }
      if (!required) return;
      // An empty database (nothing committed yet): nothing to restore until something is.
      await this.#sleep(this.#maxLagMs);
    }
    try {
      await applyRetention(this.target, generationName(this.#generation!), this.#policy, Date.now());
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Follows `/v1/log` from the head, verifying and queueing records, until it must turn. */
  async #follow(): Promise<Turn> {
    const from = this.#headPosition();
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    this.#abort.signal.addEventListener('abort', stop, { once: true });
    let idle: NodeJS.Timeout | undefined;
    try {
      const response = await fetch(`${this.#url}/v1/log?from=${from.txid + 1n}`, {
        headers: this.#headers,
        signal: controller.signal,
      });
      if (response.status === 410) {
        await response.body?.cancel();
        return 'compacted';
      }
      if (response.status === 409) {
        await response.body?.cancel();
        return 'diverged';
      }
      if (response.status !== 200 || response.body === null)
        throw new Error(`GET /v1/log: HTTP ${response.status} ${await response.text()}`);
      const primary = Position.parse(response.headers.get('x-wasmlite-position') ?? '');
      if (response.headers.get('x-wasmlite-db-id') !== this.#generation!.dbId) return 'another database';
      if (primary.txid === from.txid && primary.checksum !== from.checksum) return 'diverged';
      if (primary.txid > this.#seenTxid) this.#seenTxid = primary.txid;
      this.#error = undefined;
      this.#backoff = MIN_BACKOFF_MS;
      const resetIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(), IDLE_TIMEOUT_MS);
      };
      resetIdle();
      for await (const frames of readFrameBatches(response.body as unknown as AsyncIterable<Uint8Array>)) {
        resetIdle();
        for (const frame of frames) {
          if (frame.length === 0) continue;
          const record = TxRecord.decode(frame);
          const head = this.#headPosition();
          if (record.txid <= head.txid) continue;
          if (record.txid !== head.txid + 1n || record.preChecksum !== head.checksum) return 'diverged';
          this.#uploader.push(frame, record);
          if (record.txid > this.#seenTxid) this.#seenTxid = record.txid;
        }
        if (this.#uploader.pendingBytes > MAX_PENDING_BYTES) return 'backlog';
        this.#maybeSnapshot();
      }
      throw new Error('the log stream ended');
    } finally {
      clearTimeout(idle);
      // The stream never ends on its own: whatever ended the loop, the connection goes.
      controller.abort();
      this.#abort.signal.removeEventListener('abort', stop);
    }
  }

  /** Starts a periodic snapshot in the background when one is due. */
  #maybeSnapshot(): void {
    if (this.#snapshotting !== undefined || this.#closed) return;
    const last = Math.max(this.#lastSnapshot?.at ?? 0, this.#snapshotFailedAt);
    if (Date.now() - last < this.#snapshotIntervalMs) return;
    this.#snapshotting = this.#snapshot(false)
      .catch((error: unknown) => {
        if (!this.#closed) this.#fail(error);
        // Tried again after the interval, not at every record.
        this.#snapshotFailedAt = Date.now();
      })
      .finally(() => (this.#snapshotting = undefined));
  }

  #notify(): void {
    const txid = this.#uploader.archived?.txid ?? -1n;
    for (const waiter of this.#waiters)
      if (waiter.txid <= txid) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
  }
}
