import { createRequire } from 'node:module';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Position } from '../log/index.ts';
import type { PrimaryDatabase } from '../primary/primary-database.ts';
import { RequestError } from '../primary/request-error.ts';
import type { ExecutorLimits } from '../primary/statement-executor.ts';
import { receiveError, sendError, type SentError } from './engine-errors.ts';
import {
  APPEND_DONE,
  CANCEL,
  SIGNAL_COUNT,
  STOP,
  type EngineCall,
  type EngineReply,
  type EngineStart,
} from './engine-messages.ts';

/**
 * Options of {@link EngineThread.start}.
 *
 * @example
 * const limits = { statementTimeoutMs: 5000, maxResponseRows: 200_000, maxResponseBytes: 10 << 20 };
 * await EngineThread.start(primary, { epoch: 1n, transactionTimeoutMs: 5000, ...limits });
 */
export interface EngineThreadOptions extends Required<ExecutorLimits> {
  readonly epoch: bigint;
  readonly transactionTimeoutMs: number;
}

/** Where the worker's entry is: beside this file in the sources, `replication/primary-worker.js` in a build. */
function workerSource(): { url: URL; typescript: boolean } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('./engine-worker.ts', here), typescript: true };
  // Bundled, this code is in dist/chunks/ or dist/replication/: both reach the entry this way.
  return { url: new URL('../replication/primary-worker.js', here), typescript: false };
}

function spawn(workerData: EngineStart, transferList: Transferable[]): Worker {
  const { url, typescript } = workerSource();
  // Bun and Deno load TypeScript themselves; Node needs tsx for the sources.
  const native = process.versions.bun !== undefined || 'Deno' in globalThis;
  if (!typescript || native) return new Worker(url, { workerData, transferList } as WorkerOptions);
  // Run from the TypeScript sources (tests, tsx): the worker registers tsx before importing its entry.
  // tsx's ESM entry (require() resolves its CommonJS one, whose register() cannot load in a worker).
  const tsx = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const register = `import(${JSON.stringify(pathToHref(tsx))}).then(({ register }) => register())`;
  const boot = `${register}.then(() => import(${JSON.stringify(url.href)}))`;
  return new Worker(boot, { eval: true, workerData, transferList } as WorkerOptions);
}

function pathToHref(path: string): string {
  return new URL(`file://${path}`).href;
}

type WorkerOptions = ConstructorParameters<typeof Worker>[1];
type Transferable = NonNullable<NonNullable<WorkerOptions>['transferList']>[number];

/**
 * The primary's engine, run in a `worker_threads` Worker of its own so that SQL never runs on the
 * server's thread: `/health`, `/status`, `/metrics`, log streams and quorum waits answer while a
 * long statement runs. Everything that opens the database file lives in that one worker (the
 * VFS's lock table and wal-index are per JS realm): the writer connection and its capture, the
 * read-only connections, interactive transactions, snapshots (`WriterEngine`).
 *
 * Each {@link call} is one message each way; the answer's JSON comes back encoded, as transferred
 * bytes. Each commit's record comes to this thread, which appends it to the log
 * (`PrimaryDatabase.append`, durably) and tells the worker through shared memory; the commit
 * returns only then, so a write is in the log before it is acknowledged, as before. Errors come
 * back rebuilt as their own classes (`receiveError`). {@link close} interrupts a running
 * statement at once (a shared flag the statement deadline's progress handler reads).
 *
 * @example
 * const engine = await EngineThread.start(primary, options);
 * const reply = await engine.call({ op: 'execute', access: 'write', statement: { sql: 'SELECT 1' } });
 */
export class EngineThread {
  readonly #worker: Worker;
  readonly #signals: Int32Array;
  readonly #pending = new Map<number, { resolve: (reply: EngineReply) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #exited: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(worker: Worker, signals: Int32Array) {
    this.#worker = worker;
    this.#signals = signals;
  }

  /**
   * Starts the worker on `primary`'s database and resolves once its engine is open (the
   * primary's start position set). Rejects with what opening failed with (`SqliteError`
   * `SQLITE_NOTADB`, `OwnerLockError`, `PositionMismatchError`, …).
   */
  static start(primary: PrimaryDatabase, options: EngineThreadOptions): Promise<EngineThread> {
    const signals = new SharedArrayBuffer(SIGNAL_COUNT * Int32Array.BYTES_PER_ELEMENT);
    const flags = new Int32Array(signals);
    const { port1: appends, port2: appendPort } = new MessageChannel();
    const last = primary.startPosition;
    const worker = spawn(
      {
        path: primary.path,
        dbId: primary.dbId,
        epoch: options.epoch,
        start: last === undefined ? undefined : { txid: last.txid, checksum: last.checksum },
        transactionTimeoutMs: options.transactionTimeoutMs,
        statementTimeoutMs: options.statementTimeoutMs,
        maxResponseRows: options.maxResponseRows,
        maxResponseBytes: options.maxResponseBytes,
        appendPort,
        signals,
      },
      [appendPort],
    );
    appends.on('message', (bytes: Uint8Array) => {
      let reply: { error?: SentError } = {};
      try {
        primary.append(bytes);
      } catch (error) {
        reply = { error: sendError(error) };
      }
      // The reply is queued before the flag is raised: the worker reads it as soon as it wakes.
      appends.postMessage(reply);
      Atomics.store(flags, APPEND_DONE, 1);
      Atomics.notify(flags, APPEND_DONE);
    });
    // The log port must not keep the process alive once the worker is gone.
    appends.unref();
    return new Promise((resolve, reject) => {
      const engine = new EngineThread(worker, flags);
      const onStartup = (message: { ready?: { txid: bigint; checksum: bigint }; error?: SentError }): void => {
        worker.off('message', onStartup);
        worker.off('error', reject);
        if (message.error !== undefined) {
          appends.close();
          return reject(receiveError(message.error));
        }
        primary.started(new Position(message.ready!.txid, message.ready!.checksum));
        worker.on('message', (reply: EngineReply & { id: number; error?: SentError; failure?: string }) =>
          engine.#settle(primary, reply),
        );
        resolve(engine);
      };
      worker.on('message', onStartup);
      worker.once('error', reject);
      worker.on('error', (error) => engine.#fail(error));
      worker.once('exit', (code) => {
        appends.close();
        const error = new Error(`the primary's engine worker exited (code ${code})`);
        // Not closed on purpose (it ran out of memory, say): /health says so, every write fails.
        if (engine.#closing === undefined) primary.failed(error);
        engine.#fail(error);
      });
    });
  }

  /**
   * Sends `request` to the engine and resolves with its reply; rejects with the request's error
   * rebuilt (`RequestError`, `SqliteError`, …), or `CLOSING` once the engine has stopped. When
   * `cancel` aborts (its client has gone), the request's SQL is interrupted at the statement
   * deadline's next look at the clock (it fails with `SQLITE_INTERRUPT`, what it wrote rolled back;
   * a short statement that never looks completes).
   */
  call(request: EngineCall, cancel?: AbortSignal): Promise<EngineReply> {
    if (this.#exited !== undefined || (this.#closing !== undefined && request.op !== 'close'))
      return Promise.reject(new RequestError('CLOSING', 'the primary is shutting down'));
    const id = this.#nextId++;
    const interrupt = (): void => void Atomics.store(this.#signals, CANCEL, id);
    cancel?.addEventListener('abort', interrupt, { once: true });
    return new Promise<EngineReply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    }).finally(() => cancel?.removeEventListener('abort', interrupt));
  }

  /**
   * Interrupts a running statement, closes the engine (rolling back open transactions) and ends
   * the worker. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      Atomics.store(this.#signals, STOP, 1);
      try {
        await this.call({ op: 'close' });
      } catch {
        // The worker is gone already, or its engine could not close cleanly: it ends all the same.
      }
      await this.#worker.terminate();
    })());
  }

  #settle(primary: PrimaryDatabase, reply: EngineReply & { id: number; error?: SentError; failure?: string }): void {
    if (reply.failure !== undefined) primary.failed(new Error(reply.failure));
    // The worker answers only once its synchronous work, commits included, is done.
    primary.announce();
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.error !== undefined) pending.reject(receiveError(reply.error));
    else pending.resolve(reply);
  }

  #fail(error: Error): void {
    this.#exited ??= error;
    for (const pending of this.#pending.values()) pending.reject(new RequestError('CLOSING', error.message));
    this.#pending.clear();
  }
}
