import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { writeFileDurably } from '../../core/util/durable-file.ts';
import { positiveInteger } from '../../core/util/option-checks.ts';
import {
  Position,
  PositionMismatchError,
  PROOF_PATTERN,
  recordProof,
  TxRecord,
  type PositionLike,
} from '../log/index.ts';
import type { PrimaryFeed, SnapshotDownload } from './primary-feed.ts';
import { Replica } from './replica.ts';
import { ReplicaTimeoutError } from './replica-timeout-error.ts';
import { verifySnapshot } from './verify-snapshot.ts';

/**
 * Options of {@link ReplicaFollower.start}.
 *
 * @example
 * ReplicaFollower.start({
 *   path: '/srv/replica.db',
 *   feed: new HttpPrimaryFeed({ syncUrl: 'http://primary:7878', authToken }),
 * });
 * ReplicaFollower.start({ path: '/srv/replica.db', feed: leaderFeed }); // any PrimaryFeed
 */
export interface ReplicaFollowerOptions {
  /** The local replica's database file (created from a snapshot if missing). */
  readonly path: string;
  /**
   * Where the primary's snapshot and log come from, and where this replica's position is
   * reported: over HTTP, an `HttpPrimaryFeed` (replication/http/; its token must be a replica or
   * write token for reports, a read token only follows).
   */
  readonly feed: PrimaryFeed;
  /** First reconnect delay in ms (default 100); doubles up to `maxBackoffMs` (default 5000). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A stream with no frame (heartbeats included) for this long is dropped and reopened (default 20000). */
  readonly idleTimeoutMs?: number;
  /** Make each apply durable before it is acknowledged (default true). */
  readonly sync?: boolean;
  /** Where re-bootstraps and connection changes are reported (default `console.warn`). */
  readonly log?: (message: string) => void;
  /** How the primary's `/status` names this replica (default `<hostname>:<absolute path>`). */
  readonly name?: string;
  /**
   * Called with the encoded records (as received) of each applied batch, once they are durable in
   * the replica and before its position is reported: a failover node keeps them in a log of its
   * own, to serve them if it becomes the primary. What it throws is logged and ignored.
   */
  readonly onApplied?: (records: readonly Uint8Array[]) => void;
}

/** The most records, and about the most bytes of them, applied in one commit. */
const BATCH_RECORDS = 64;
const BATCH_BYTES = 4 << 20;

/** In `async` mode the primary only shows replicas' positions: reports are sent at most this often. */
const REPORT_INTERVAL_MS = 50;

interface Waiter {
  /** Whether the replica, now at `position`, has what the waiter waits for. */
  readonly done: (position: Position) => boolean;
  readonly resolve: (position: Position) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Whether a replica at `have` has applied `want`: a later txid, or the same txid with the same
 * checksum (the same txid with another checksum is another history, never "reached").
 */
function reached(have: Position, want: Position): boolean {
  return have.txid > want.txid || (have.txid === want.txid && have.checksum === want.checksum);
}

/**
 * Writes a snapshot's body to `file` as it arrives (memory stays at one network chunk whatever
 * the database's size) and fsyncs it; resolves with its length. Throws if the body ends short of
 * its announced length, so a cut-off snapshot is never taken for a database.
 */
async function downloadDurably(snapshot: SnapshotDownload, file: string, signal: () => boolean): Promise<number> {
  const expected = snapshot.length;
  const out = await fs.promises.open(file, 'w');
  let received = 0;
  try {
    for await (const chunk of snapshot.body) {
      if (signal()) return received;
      // Positional writes of whole chunks: a short write is retried by the loop.
      for (let done = 0; done < chunk.length;)
        done += (await out.write(chunk, done, chunk.length - done, received + done)).bytesWritten;
      received += chunk.length;
    }
    if (received !== expected) throw new Error(`the snapshot ended after ${received} of ${expected} bytes`);
    await out.sync();
    return received;
  } finally {
    await out.close();
  }
}

/**
 * Keeps a local {@link Replica} level with a primary, through a {@link PrimaryFeed} (over HTTP,
 * an `HttpPrimaryFeed`): bootstraps it from the primary's snapshot when there is none
 * (or the primary's database identity is not the one recorded in `<path>-dbid`), then follows
 * the log and applies each record. A compacted log, a replica ahead of the primary or a record
 * that does not continue the replica ({@link PositionMismatchError})
 * re-bootstraps from a snapshot; a dropped connection is retried with bounded exponential backoff
 * while the local file keeps serving reads.
 *
 * Re-bootstrapping replaces the file: {@link ReplicaFollower.onReplace} listeners are called just
 * before, so that readers close their connections (and reopen after).
 *
 * @example
 * const follower = ReplicaFollower.start({ path: 'replica.db', feed: new HttpPrimaryFeed({ syncUrl: primary.url }) });
 * await follower.ready();
 * await follower.waitFor(writePosition, 1000); // ReplicaTimeoutError if not applied in time
 * await follower.close();
 */
export class ReplicaFollower {
  readonly path: string;
  readonly #feed: PrimaryFeed;
  readonly #minBackoff: number;
  readonly #maxBackoff: number;
  readonly #idleTimeout: number;
  readonly #sync: boolean;
  readonly #log: (message: string) => void;
  readonly #dbIdFile: string;
  readonly #id = randomUUID();
  readonly #name: string;
  readonly #onApplied: ((records: readonly Uint8Array[]) => void) | undefined;
  /** Whether the primary waits for replicas' reports (its `x-wasmlite-durability: quorum`). */
  #quorum = false;
  /**
   * The proof of possession (`recordProof`) of the record at the replica's position, when this
   * follower received it (or a snapshot with it): what lets its reports confirm writes.
   */
  #proven: { readonly txid: bigint; readonly proof: string } | undefined;
  /** The highest epoch of a primary this follower has followed: an older primary is refused. */
  #epoch = 0n;
  /** The epoch of the last record received: epochs never decrease along a log. */
  #recordEpoch = 0n;
  /** See {@link ReplicaFollower.appliedEpoch}. */
  #appliedEpoch = 0n;
  #reporting = false;
  /** The code of the last refused report that was logged, so that it is logged once. */
  #lastRefusal: string | undefined;
  /** Set when the primary refuses this follower's token for reports (403): it stops sending them. */
  #reportsRefused = false;
  #reportAgain = false;
  #reportTimer: NodeJS.Timeout | undefined;
  #lastReport = 0;
  readonly #waiters = new Set<Waiter>();
  readonly #replaceListeners = new Set<(event: { readonly newHistory: boolean }) => void>();
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;
  #replica: Replica | undefined;
  #dbId: string | undefined;
  #connected = false;
  /** The last failure reported while not connected, so that retries do not repeat it. */
  #lastFailure: string | undefined;
  #closed = false;
  #backoff: number;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  #running: Promise<void> = Promise.resolve();

  private constructor(options: ReplicaFollowerOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('Expected the "options" argument to be an object');
    if (typeof options.path !== 'string' || options.path === '' || options.path === ':memory:') {
      throw new TypeError('Expected the "path" option to be a database file path');
    }
    this.path = options.path;
    if (options.feed === null || typeof options.feed !== 'object' || typeof options.feed.log !== 'function')
      throw new TypeError('Expected the "feed" option to be a PrimaryFeed');
    this.#feed = options.feed;
    this.#minBackoff = positiveInteger(options.minBackoffMs ?? 100, 'minBackoffMs');
    this.#maxBackoff = positiveInteger(options.maxBackoffMs ?? 5000, 'maxBackoffMs');
    this.#idleTimeout = positiveInteger(options.idleTimeoutMs ?? 20_000, 'idleTimeoutMs');
    this.#sync = options.sync ?? true;
    if (typeof this.#sync !== 'boolean') throw new TypeError('Expected the "sync" option to be a boolean');
    this.#log = options.log ?? ((message) => console.warn(`wasmlite replica ${this.path}: ${message}`));
    this.#backoff = this.#minBackoff;
    this.#dbIdFile = `${this.path}-dbid`;
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === ''))
      throw new TypeError('Expected the "name" option to be a non-empty string');
    this.#name = options.name ?? `${os.hostname()}:${nodePath.resolve(this.path)}`;
    if (options.onApplied !== undefined && typeof options.onApplied !== 'function')
      throw new TypeError('Expected the "onApplied" option to be a function');
    this.#onApplied = options.onApplied;
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => {});
  }

  /**
   * Starts following in the background; throws a TypeError for bad options. Nothing is awaited:
   * see {@link ReplicaFollower.ready}.
   *
   * @example
   * const feed = new HttpPrimaryFeed({ syncUrl: 'http://127.0.0.1:7878' });
   * const follower = ReplicaFollower.start({ path: 'replica.db', feed });
   */
  static start(options: ReplicaFollowerOptions): ReplicaFollower {
    const follower = new ReplicaFollower(options);
    follower.#running = follower.#run();
    return follower;
  }

  /**
   * Resolves once the local replica exists and can be read: at once for a replica already on
   * disk, after the first snapshot otherwise. Rejects if the follower is closed before.
   */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Whether a log stream from the primary is open now. */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * The epoch of the last record this follower applied, or of the primary whose snapshot it
   * installed (a snapshot is at or past the start of that primary's term); 0 before either.
   * Failover compares histories by it: a history that has a record of term `e` holds every write
   * acknowledged before `e` began.
   */
  appliedEpoch(): bigint {
    return this.#appliedEpoch;
  }

  /** The last applied position; `Position.ZERO` before the replica exists. */
  position(): Position {
    return this.#replica?.position ?? Position.ZERO;
  }

  /**
   * Calls `listener` just before the replica's file is replaced by a new snapshot; readers must
   * close their connections to it then; `newHistory` when the primary's database identity is not
   * the replica's (positions from before mean nothing). Returns a function that removes it.
   */
  onReplace(listener: (event: { readonly newHistory: boolean }) => void): () => void {
    this.#replaceListeners.add(listener);
    return () => this.#replaceListeners.delete(listener);
  }

  /**
   * Resolves with the replica's position once it has applied `target` (a Position or its text
   * form); rejects with {@link ReplicaTimeoutError} after `timeoutMs`, or an Error if closed.
   *
   * @example
   * await follower.waitFor('0000000000000007/ab12cd34ef560789', 2000);
   */
  waitFor(target: PositionLike | string, timeoutMs: number): Promise<Position> {
    const want = typeof target === 'string' ? Position.parse(target) : Position.from(target);
    return this.#waitUntil(want, timeoutMs, (position) => reached(position, want));
  }

  #waitUntil(want: Position, timeoutMs: number, done: (position: Position) => boolean): Promise<Position> {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
      throw new TypeError('Expected the "timeoutMs" argument to be a non-negative number');
    if (this.#replica !== undefined && done(this.#replica.position)) return Promise.resolve(this.#replica.position);
    if (this.#closed) return Promise.reject(new Error('the replica follower is closed'));
    return new Promise<Position>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new ReplicaTimeoutError(want, this.position(), timeoutMs));
      }, timeoutMs);
      const waiter: Waiter = {
        done,
        resolve: (position) => {
          clearTimeout(timer);
          resolve(position);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Asks the primary for its position and database identity (`GET /status`) and resolves with
   * the position once the replica holds that database at that position (after a re-bootstrap if
   * the primary is now another database). Rejects with a ClientError `PRIMARY_UNREACHABLE` if
   * the primary cannot be asked, or {@link ReplicaTimeoutError} after `timeoutMs` (default 10000).
   */
  async sync(timeoutMs = 10_000): Promise<Position> {
    const { position: want, dbId } = await this.#feed.status(timeoutMs);
    return this.#waitUntil(
      want,
      timeoutMs,
      (position) => (dbId === undefined || this.#dbId === dbId) && reached(position, want),
    );
  }

  /** Stops following and closes the replica; the file stays. Pending waits reject. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#abort?.abort();
      this.#wake?.();
      clearTimeout(this.#reportTimer);
      this.#rejectReady(new Error('the replica follower is closed'));
      for (const waiter of this.#waiters) waiter.reject(new Error('the replica follower is closed'));
      this.#waiters.clear();
    }
    await this.#running;
    this.#replica?.close();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        if (this.#replica === undefined) await this.#openOrBootstrap();
        if (this.#closed) break;
        const reason = await this.#follow();
        if (reason !== undefined && !this.#closed) {
          this.#log(`${reason}: re-bootstrapping from a snapshot`);
          await this.#bootstrap();
        }
      } catch (error) {
        if (this.#closed) break;
        const message = (error as Error).message;
        if (this.#connected) this.#log(`connection to ${this.#feed.source} lost (${message}); reconnecting`);
        else if (message !== this.#lastFailure) this.#log(`cannot follow ${this.#feed.source} (${message}); retrying`);
        this.#lastFailure = message;
        this.#connected = false;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#backoff);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        this.#backoff = Math.min(this.#backoff * 2, this.#maxBackoff);
      }
    }
    this.#connected = false;
  }

  async #openOrBootstrap(): Promise<void> {
    if (fs.existsSync(this.path) && fs.existsSync(`${this.path}-position`)) {
      try {
        this.#replica = await Replica.open(this.path, { sync: this.#sync });
        this.#dbId = fs.existsSync(this.#dbIdFile) ? fs.readFileSync(this.#dbIdFile, 'utf8').trim() : undefined;
        this.#resolveReady();
        return;
      } catch (error) {
        this.#log(`cannot reopen the local replica (${(error as Error).message}): bootstrapping from a snapshot`);
      }
    }
    await this.#bootstrap();
  }

  /** Replaces the local file by the primary's snapshot and opens it as the replica. */
  async #bootstrap(): Promise<void> {
    const download = new AbortController();
    const snapshot = await this.#feed.snapshot(download.signal);
    try {
      this.#checkEpoch(snapshot.epoch);
    } catch (error) {
      download.abort();
      throw error;
    }
    const { position, dbId, pageSize } = snapshot;
    const temp = `${this.path}.snapshot-tmp`;
    try {
      const bytes = await downloadDurably(snapshot, temp, () => this.#closed);
      // Checked before it replaces anything: until a snapshot is proven to be the announced
      // position, the replica keeps serving what it had (or nothing, on a first bootstrap).
      if (!this.#closed) verifySnapshot(temp, position, pageSize, bytes);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      throw error;
    }
    if (this.#closed) {
      fs.rmSync(temp, { force: true });
      return;
    }
    const event = { newHistory: this.#dbId !== undefined && this.#dbId !== dbId };
    for (const listener of this.#replaceListeners) listener(event);
    this.#replica?.close();
    this.#replica = undefined;
    // The old file's WAL and position must not be read against the new file.
    for (const suffix of ['-wal', '-shm', '-position']) fs.rmSync(`${this.path}${suffix}`, { force: true });
    fs.renameSync(temp, this.path);
    // Also makes the snapshot's rename durable: the identity file is in the same directory.
    writeFileDurably(this.#dbIdFile, `${dbId}\n`);
    this.#dbId = dbId;
    this.#appliedEpoch = snapshot.epoch ?? 0n;
    this.#replica = await Replica.open(this.path, { from: position, sync: this.#sync });
    const proof = snapshot.proof;
    this.#proven = proof !== undefined && PROOF_PATTERN.test(proof) ? { txid: position.txid, proof } : undefined;
    this.#resolveReady();
    this.#notify();
  }

  /**
   * Throws if `epoch` (a primary's term, when it says it) is older than one already followed:
   * that primary was deposed. Otherwise it becomes the newest seen.
   */
  #checkEpoch(epoch: bigint | undefined): void {
    if (epoch === undefined) return;
    if (epoch < this.#epoch)
      throw new Error(`${this.#feed.source} is a primary of epoch ${epoch}, older than epoch ${this.#epoch}`);
    this.#epoch = epoch;
  }

  /**
   * Follows the log until the connection fails (throws) or the replica must be re-bootstrapped
   * (returns the reason).
   */
  async #follow(): Promise<string | undefined> {
    const replica = this.#replica!;
    const controller = new AbortController();
    this.#abort = controller;
    let idle: NodeJS.Timeout | undefined;
    try {
      const opening = await this.#feed.log(replica.position.txid + 1n, controller.signal);
      // Fencing, whatever the answer: a primary of an older term than one already followed was
      // deposed, and neither its records nor its word that the replica must re-bootstrap count.
      this.#checkEpoch(opening.epoch);
      if (opening.kind === 'compacted') return `the primary's log is compacted past txid ${replica.position.txid + 1n}`;
      if (opening.kind === 'ahead') return `the replica (${replica.position}) is ahead of the primary`;
      const dbId = opening.dbId;
      if (dbId !== this.#dbId) {
        controller.abort();
        return `the primary's database identity is ${dbId}, the replica's ${this.#dbId ?? 'unknown'}`;
      }
      if (!this.#connected) this.#log(`following ${this.#feed.source} from ${replica.position}`);
      this.#connected = true;
      this.#lastFailure = undefined;
      this.#quorum = opening.durability === 'quorum';
      this.#report();
      this.#backoff = this.#minBackoff;
      const resetIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(), this.#idleTimeout);
      };
      resetIdle();
      for await (const frames of opening.frames) {
        resetIdle();
        const reason = this.#applyFrames(replica, frames);
        if (reason !== undefined) {
          controller.abort();
          return reason;
        }
      }
      throw new Error('the log stream ended');
    } finally {
      clearTimeout(idle);
      if (this.#abort === controller) this.#abort = undefined;
    }
  }

  /**
   * Applies the records among `frames` (what the stream has delivered so far), several to a
   * commit (up to {@link BATCH_RECORDS} records or {@link BATCH_BYTES} bytes): readers see them
   * at once, and the commit's syncs are shared. Waiters are told after each commit. Returns the
   * reason to re-bootstrap if the records do not continue the replica; a record that does not
   * decode throws, after the records before it are applied.
   */
  #applyFrames(replica: Replica, frames: readonly Uint8Array[]): string | undefined {
    let batch: TxRecord[] = [];
    let batchFrames: Uint8Array[] = [];
    let bytes = 0;
    let heartbeat = false;
    const proofs = new Map<bigint, string>();
    const flush = (): string | undefined => {
      if (batch.length === 0) return undefined;
      const records = batch;
      const encoded = batchFrames;
      batch = [];
      batchFrames = [];
      bytes = 0;
      const before = replica.position.txid;
      try {
        replica.applyBatch(records);
      } catch (error) {
        if (!(error instanceof PositionMismatchError)) throw error;
        return `divergence (${error.message})`;
      } finally {
        // The records before a failing one are applied.
        const txid = replica.position.txid;
        if (this.#onApplied !== undefined && txid > before) {
          try {
            this.#onApplied(encoded.slice(0, Number(txid - before)));
          } catch (error) {
            this.#log(`onApplied failed: ${(error as Error).message}`);
          }
        }
        const last = records.findLast((record) => record.txid === txid);
        if (last !== undefined) this.#appliedEpoch = last.epoch;
        const proof = proofs.get(txid);
        if (proof !== undefined) this.#proven = { txid, proof };
        this.#notify();
      }
      this.#report();
      return undefined;
    };
    try {
      for (const frame of frames) {
        if (frame.length === 0) {
          heartbeat = true;
          continue;
        }
        const record = TxRecord.decode(frame);
        if (record.txid <= (batch.at(-1)?.txid ?? replica.position.txid)) continue;
        // Epochs never decrease along a log: an older one is a deposed primary's record.
        if (record.epoch < this.#recordEpoch)
          throw new Error(
            `record ${record.txid} is of epoch ${record.epoch}, after one of epoch ${this.#recordEpoch}: refused`,
          );
        this.#recordEpoch = record.epoch;
        batch.push(record);
        batchFrames.push(frame);
        proofs.set(record.txid, recordProof(frame));
        bytes += frame.length;
        if (batch.length >= BATCH_RECORDS || bytes >= BATCH_BYTES) {
          const reason = flush();
          if (reason !== undefined) return reason;
        }
      }
    } catch (error) {
      const reason = flush();
      if (reason !== undefined) return reason;
      throw error;
    }
    const reason = flush();
    // A heartbeat: the primary hears from an idle replica as often as it sends them.
    if (heartbeat) this.#report();
    return reason;
  }

  /**
   * Tells the primary this replica's position (`POST /v1/ack`): at once in quorum mode, where
   * writes wait for it, else at most every {@link REPORT_INTERVAL_MS}. One report at a time; a
   * failed one is dropped (the next apply or heartbeat sends the position again). A token the
   * primary does not take for reports (403, a read token) stops them, said once in quorum mode.
   */
  #report(): void {
    if (this.#closed || this.#replica === undefined || this.#reportsRefused) return;
    if (this.#reporting) {
      this.#reportAgain = true;
      return;
    }
    const wait = this.#quorum ? 0 : this.#lastReport + REPORT_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.#reportTimer ??= setTimeout(() => {
        this.#reportTimer = undefined;
        this.#report();
      }, wait);
      return;
    }
    this.#reporting = true;
    this.#lastReport = Date.now();
    const position = this.position();
    const proof = this.#proven?.txid === position.txid ? this.#proven.proof : null;
    const report = { replica: this.#id, name: this.#name, position: position.toString(), proof, durable: this.#sync };
    // Bounded, so that a primary that stops answering cannot hold reports back for good.
    this.#feed
      .report(report, this.#idleTimeout)
      .then((outcome) => {
        if (outcome.accepted) return;
        const refusal = `the primary refuses this replica's reports: ${outcome.reason}`;
        if (outcome.forbidden) {
          // A read token: it follows, but may not report. That matters only to quorum writes.
          this.#reportsRefused = true;
          if (this.#quorum) this.#log(`${refusal}; this replica confirms no write`);
          return;
        }
        // Said once per refusal: a refused report is sent again at every apply and heartbeat.
        if (outcome.code !== this.#lastRefusal) this.#log(refusal);
        this.#lastRefusal = outcome.code;
      })
      .catch(() => {})
      .finally(() => {
        this.#reporting = false;
        if (this.#reportAgain) {
          this.#reportAgain = false;
          this.#report();
        }
      });
  }

  #notify(): void {
    const position = this.position();
    for (const waiter of this.#waiters) {
      if (waiter.done(position)) {
        this.#waiters.delete(waiter);
        waiter.resolve(position);
      }
    }
  }
}
