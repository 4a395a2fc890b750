/**
 * The primary's engine worker (see `EngineThread`): opens the {@link WriterEngine} in this
 * thread, then runs each request the server's thread sends and answers it with the JSON of the
 * answer already encoded (transferred bytes, so the server's thread never stringifies a large
 * result). Each commit's record is handed to the server's thread, which appends it to the log,
 * and the commit waits (`Atomics.wait`) until it is durable there.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { Position, TxRecord } from '../log/index.ts';
import type { StatementResult } from '../primary/statement-executor.ts';
import { WriterEngine } from '../primary/writer-engine.ts';
import { receiveError, sendError, type SentError } from './engine-errors.ts';
import {
  APPEND_DONE,
  CANCEL,
  STOP,
  type EngineReply,
  type EngineRequest,
  type EngineStart,
} from './engine-messages.ts';
import { encodeResultValue } from './wire-values.ts';

const start = workerData as EngineStart;
const port = parentPort!;
const appendPort: MessagePort = start.appendPort;
const signals = new Int32Array(start.signals);
const encoder = new TextEncoder();

/** Hands the record to the server's thread and waits until it is in the log (or refused). */
function sink(record: TxRecord): void {
  const bytes = TxRecord.encode(record);
  Atomics.store(signals, APPEND_DONE, 0);
  appendPort.postMessage(bytes, isWhole(bytes) ? [bytes.buffer as ArrayBuffer] : []);
  Atomics.wait(signals, APPEND_DONE, 0);
  const reply = receiveMessageOnPort(appendPort)?.message as { error?: SentError } | undefined;
  if (reply?.error !== undefined) throw receiveError(reply.error);
}

function isWhole(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

/** The answer's JSON object without its closing brace: the server's thread adds `position`. */
function open(fields: Record<string, unknown>): Uint8Array {
  const text = JSON.stringify(fields);
  return encoder.encode(text.length === 2 ? '{' : text.slice(0, -1));
}

/**
 * How a keyed write's answer is encoded into its record, and the answer's body from the same
 * bytes (the JSON without its closing brace); no key, no encoding.
 */
function keyed<T>(key: string | undefined, fields: (result: T) => Record<string, unknown>) {
  let encoded: Uint8Array | undefined;
  return {
    keyed:
      key === undefined
        ? undefined
        : { key, encode: (result: T) => (encoded = encoder.encode(JSON.stringify(fields(result)))) },
    body: (result: T): Uint8Array => (encoded === undefined ? open(fields(result)) : encoded.subarray(0, -1)),
  };
}

const statementAnswer = (result: StatementResult): Record<string, unknown> => encodeResult(result);
const commitAnswer = (): Record<string, unknown> => ({});
const batchAnswer = (results: StatementResult[]): Record<string, unknown> => ({ results: results.map(encodeResult) });

function encodeResult(result: StatementResult): Record<string, unknown> {
  return {
    columns: result.columns,
    columnTypes: result.columnTypes,
    rows: result.rows.map((row) => row.map(encodeResultValue)),
    rowsAffected: result.rowsAffected,
    lastInsertRowid: result.lastInsertRowid === undefined ? null : result.lastInsertRowid.toString(),
  };
}

function position(at: Position): { txid: bigint; checksum: bigint } {
  return { txid: at.txid, checksum: at.checksum };
}

async function run(engine: WriterEngine, request: EngineRequest): Promise<EngineReply> {
  switch (request.op) {
    case 'execute': {
      const answer = keyed(request.idempotencyKey, statementAnswer);
      const { result, before, after } = await engine.execute(
        request.statement,
        request.access,
        request.id,
        answer.keyed,
      );
      return { body: answer.body(result), before, after: position(after) };
    }
    case 'batch': {
      const answer = keyed(request.idempotencyKey, batchAnswer);
      const { result, before, after } = await engine.batch(
        request.statements,
        request.access,
        request.mode,
        request.id,
        answer.keyed,
      );
      return { body: answer.body(result), before, after: position(after) };
    }
    case 'script': {
      const { before, after } = await engine.script(request.sql, request.id);
      return { body: open({}), before, after: position(after) };
    }
    case 'begin':
      return {
        body: open({ id: await engine.begin(request.mode, request.access, request.foreignKeys, request.owner) }),
      };
    case 'executeIn': {
      const { result, open: stillOpen } = engine.executeIn(request.tx, request.owner, request.statement, request.id);
      return { body: open({ ...encodeResult(result), open: stillOpen }), current: true };
    }
    case 'batchIn':
      return {
        body: open({
          results: engine.batchIn(request.tx, request.owner, request.statements, request.id).map(encodeResult),
        }),
        current: true,
      };
    case 'commit': {
      const answer = keyed(request.idempotencyKey, commitAnswer);
      const { before, after } = engine.commit(request.tx, request.owner, request.id, answer.keyed);
      return { body: answer.body(undefined), before, after: position(after) };
    }
    case 'rollback':
      engine.rollback(request.tx, request.owner);
      return { body: open({}), current: true };
    case 'snapshotBegin': {
      const snapshot = await engine.beginSnapshot();
      // The first chunk comes along: a small database is one message each way.
      return { snapshot: { ...snapshot, position: position(snapshot.position) }, ...engine.readSnapshot(snapshot.id) };
    }
    case 'snapshotRead':
      return engine.readSnapshot(request.snapshot);
    case 'snapshotEnd':
      engine.endSnapshot(request.snapshot);
      return {};
    case 'close':
      engine.close();
      return {};
  }
}

/** The request whose SQL runs now, for `stopping` (the engine is not there yet while it opens). */
let running = (): number => 0;
let engine: WriterEngine;
try {
  engine = await WriterEngine.open({
    path: start.path,
    dbId: start.dbId,
    epoch: start.epoch,
    start: start.start === undefined ? undefined : new Position(start.start.txid, start.start.checksum),
    sink,
    transactionTimeoutMs: start.transactionTimeoutMs,
    statementTimeoutMs: start.statementTimeoutMs,
    maxResponseRows: start.maxResponseRows,
    maxResponseBytes: start.maxResponseBytes,
    // The primary is closing, or the client of the request under way has gone.
    stopping: () =>
      Atomics.load(signals, STOP) !== 0 || (running() !== 0 && Atomics.load(signals, CANCEL) === running()),
  });
} catch (error) {
  port.postMessage({ error: sendError(error) });
  process.exit(0);
}
running = () => engine.running;
port.postMessage({ ready: position(engine.position()) });
let failed = false;
port.on('message', (request: EngineRequest) => {
  run(engine, request).then(
    (reply) => {
      const transfer = [reply.body, reply.chunk].flatMap((bytes) =>
        bytes instanceof Uint8Array && isWhole(bytes) ? [bytes.buffer as ArrayBuffer] : [],
      );
      port.postMessage({ id: request.id, ...reply, ...failure() }, transfer);
      if (request.op === 'close') port.close();
    },
    (error: unknown) => port.postMessage({ id: request.id, error: sendError(error), ...failure() }),
  );
});

/** Tells the server's thread once that the capture stopped (for `/health`). */
function failure(): { failure?: string } {
  const error = engine.failure;
  if (error === undefined || failed) return {};
  failed = true;
  return { failure: error.message };
}
