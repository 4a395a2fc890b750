import { ForbiddenActionError, SqliteError, WasmliteError } from '../../core/index.ts';
import { OwnerLockError } from '../../core/vfs/index.ts';
import { PositionMismatchError, Position } from '../log/index.ts';
import { RequestError } from '../primary/request-error.ts';
import { failedStatementIndex, markFailedStatement } from '../primary/statement-executor.ts';

/**
 * An error as it crosses from the engine worker to the server's thread (structured clone keeps
 * neither classes nor own fields of subclasses): the class, what it carries, a batch statement's
 * index, and the errno of an I/O cause.
 */
export interface SentError {
  readonly kind: string;
  readonly message: string;
  readonly code?: string;
  readonly rawCode?: number;
  readonly action?: string;
  readonly details?: Record<string, unknown>;
  readonly statementIndex?: number;
  readonly errno?: string;
  readonly fields?: Record<string, unknown>;
  /** Whether it is a `WasmliteError` (of a class not rebuilt by name, it comes back as the base). */
  readonly wasmlite?: boolean;
  readonly cause?: SentError;
}

/**
 * `error` as it is sent across the worker boundary (see {@link receiveError}).
 *
 * @example
 * port.postMessage({ id, error: sendError(error) });
 */
export function sendError(error: unknown, depth = 0): SentError {
  if (!(error instanceof Error)) return { kind: 'Error', message: String(error) };
  const index = failedStatementIndex(error);
  const cause = error.cause;
  const errno = (cause as { code?: unknown } | undefined)?.code;
  const base = {
    kind: error.name,
    message: error.message,
    ...(index === undefined ? {} : { statementIndex: index }),
    ...(typeof errno === 'string' && /^E[A-Z0-9]+$/.test(errno) ? { errno } : {}),
    ...(depth < 2 && cause instanceof Error ? { cause: sendError(cause, depth + 1) } : {}),
  };
  if (error instanceof ForbiddenActionError) return { ...base, action: error.action };
  if (error instanceof SqliteError) return { ...base, code: error.code, rawCode: error.rawCode };
  if (error instanceof RequestError) return { ...base, code: error.code, details: error.details };
  if (error instanceof OwnerLockError) {
    return { ...base, fields: { path: error.path, ownerPid: error.ownerPid, ownerHost: error.ownerHost } };
  }
  if (error instanceof PositionMismatchError) {
    return { ...base, fields: { have: error.have.toString(), got: error.got.toString() } };
  }
  if (error instanceof WasmliteError) return { ...base, code: error.code, wasmlite: true };
  // A Node error's errno code (`ENOSPC`) is kept too.
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { ...base, code } : base;
}

/**
 * The error a {@link SentError} stands for, rebuilt as the same class with the same code and
 * message (and statement index, action, details; an errno cause as an `Error` with that `code`).
 * A class the server's thread does not know comes back as a `WasmliteError` or `Error` with the
 * same name, code and message.
 *
 * @example
 * if (reply.error) throw receiveError(reply.error);
 */
export function receiveError(sent: SentError): Error {
  const cause =
    sent.cause !== undefined
      ? receiveError(sent.cause)
      : sent.errno !== undefined
        ? Object.assign(new Error(sent.errno), { code: sent.errno })
        : undefined;
  const options = cause === undefined ? undefined : { cause };
  let error: Error;
  switch (sent.kind) {
    case 'ForbiddenActionError':
      error = new ForbiddenActionError(sent.action ?? '', sent.message);
      break;
    case 'SqliteError':
      error = new SqliteError(sent.message, sent.code ?? 'SQLITE_ERROR', sent.rawCode, options);
      break;
    case 'RequestError':
      error = new RequestError(sent.code ?? 'INTERNAL', sent.message, sent.details, options);
      break;
    case 'OwnerLockError': {
      const { path, ownerPid, ownerHost } = sent.fields as { path: string; ownerPid: number; ownerHost?: string };
      error = new OwnerLockError(path, ownerPid, ownerHost);
      break;
    }
    case 'PositionMismatchError': {
      const { have, got } = sent.fields as { have: string; got: string };
      error = new PositionMismatchError(Position.parse(have), Position.parse(got));
      break;
    }
    case 'TypeError':
      error = new TypeError(sent.message, options);
      break;
    case 'RangeError':
      error = new RangeError(sent.message, options);
      break;
    default:
      if (sent.wasmlite === true) error = new WasmliteError(sent.message, sent.code ?? 'INTERNAL', options);
      else error = Object.assign(new Error(sent.message, options), sent.code === undefined ? {} : { code: sent.code });
      if (error.name !== sent.kind) Object.defineProperty(error, 'name', { value: sent.kind });
  }
  return sent.statementIndex === undefined ? error : (markFailedStatement(error, sent.statementIndex) as Error);
}
