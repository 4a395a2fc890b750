import { WasmliteError } from '../../core/util/wasmlite-error.ts';
import type { Position } from '../log/index.ts';

/**
 * A {@link WalCapture} cannot turn a commit into a record: it has not been started, or it has
 * stopped because SQLite failed to commit a transaction the sink had already taken (the database
 * is then one transaction behind the log, and nothing more may be captured until the database is
 * reopened and brought level with the log). Thrown from the observer, it reaches the user as the
 * `cause` of the `SQLITE_IOERR_WRITE` that refuses the commit. `position` is where the capture
 * stands: the last record handed to the sink, `undefined` before `start`.
 *
 * @example
 * try {
 *   db.exec('INSERT INTO t VALUES (1)');
 * } catch (error) {
 *   if (error.cause instanceof CaptureError) console.log(`capture stopped at ${error.cause.position}`);
 * }
 * // error.cause.message: 'capture stopped: transaction 0000000000000008 went to the sink but SQLite did not commit it, …'
 */
export class CaptureError extends WasmliteError {
  /** The position of the last record handed to the sink; `undefined` before `start`. */
  readonly position: Position | undefined;

  constructor(message: string, position: Position | undefined) {
    super(message, 'CAPTURE_STOPPED');
    this.position = position;
  }

  override get name(): string {
    return 'CaptureError';
  }
}
