import type { MessagePort } from 'node:worker_threads';
import type { Access, BatchMode, StatementInput } from '../primary/statement-executor.ts';

/** Index in the shared signals of the flag the server's thread sets once a record is in the log. */
export const APPEND_DONE = 0;
/** Index in the shared signals of the flag that interrupts every running statement (closing). */
export const STOP = 1;
/** Index in the shared signals of the id of a request to interrupt (its client has gone). */
export const CANCEL = 2;
/** How many Int32 signals the engine worker and the server's thread share. */
export const SIGNAL_COUNT = 3;

/** What the engine worker is started with (`workerData`). */
export interface EngineStart {
  readonly path: string;
  readonly dbId: string;
  readonly epoch: bigint;
  /** The log's last position, `undefined` for an empty log. */
  readonly start: { readonly txid: bigint; readonly checksum: bigint } | undefined;
  readonly transactionTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly maxResponseRows: number;
  readonly maxResponseBytes: number;
  /** The port each commit's record goes through to the log. */
  readonly appendPort: MessagePort;
  /** {@link SIGNAL_COUNT} Int32s: {@link APPEND_DONE}, {@link STOP}, {@link CANCEL}. */
  readonly signals: SharedArrayBuffer;
}

/** A request to the engine worker, without the `id` that pairs it with its reply. */
export type EngineCall =
  | {
      readonly op: 'execute';
      readonly access: Access;
      readonly statement: StatementInput;
      /** The write's idempotency key as recorded (`recordedIdempotencyKey`): its record keeps it and the answer. */
      readonly idempotencyKey?: string;
    }
  | {
      readonly op: 'batch';
      readonly access: Access;
      readonly statements: readonly StatementInput[];
      readonly mode: BatchMode;
      readonly idempotencyKey?: string;
    }
  | { readonly op: 'script'; readonly sql: string }
  | {
      readonly op: 'begin';
      readonly mode: BatchMode;
      readonly access: Access;
      readonly foreignKeys: boolean | undefined;
      readonly owner: string;
    }
  | { readonly op: 'executeIn'; readonly tx: string; readonly owner: string; readonly statement: StatementInput }
  | {
      readonly op: 'batchIn';
      readonly tx: string;
      readonly owner: string;
      readonly statements: readonly StatementInput[];
    }
  | { readonly op: 'commit'; readonly tx: string; readonly owner: string; readonly idempotencyKey?: string }
  | { readonly op: 'rollback'; readonly tx: string; readonly owner: string }
  | { readonly op: 'snapshotBegin' | 'close' }
  | { readonly op: 'snapshotRead' | 'snapshotEnd'; readonly snapshot: number };

/** A request to the engine worker: {@link EngineCall} and the `id` its reply carries. */
export type EngineRequest = EngineCall & { readonly id: number };

/**
 * The engine worker's answer to a request. `body` is the answer's JSON object without its closing
 * brace; `before`/`after` (a request that may have written) or `current` say which position the
 * server's thread adds to it.
 */
export interface EngineReply {
  readonly body?: Uint8Array;
  readonly before?: bigint;
  readonly after?: { readonly txid: bigint; readonly checksum: bigint };
  readonly current?: boolean;
  readonly snapshot?: {
    readonly id: number;
    readonly position: { readonly txid: bigint; readonly checksum: bigint };
    readonly pageCount: number;
    readonly pageSize: number;
  };
  /** A chunk of a snapshot's pages, and whether it was the last (the snapshot is then over). */
  readonly chunk?: Uint8Array;
  readonly done?: boolean;
}
