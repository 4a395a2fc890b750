import { WasmliteError } from '../../core/util/wasmlite-error.ts';
import type { Position } from './position.ts';

/**
 * Two histories disagree: a record, a replica or a bookmark expected the database at `have`,
 * but what arrived continues from (or claims) `got`. Appending a record whose txid or
 * `preChecksum` does not continue the log, and comparing two positions with the same txid but
 * different checksums, both throw it. The remedy is never to retry the same input: a replica
 * re-bootstraps from a snapshot, a primary refuses the record.
 *
 * @example
 * try {
 *   log.append(record);
 * } catch (error) {
 *   if (error instanceof PositionMismatchError) console.log(`${error.have} vs ${error.got}`);
 * }
 * // error.message: 'position mismatch: have 0000000000000007/ab12cd34ef560789, got 0000000000000009/…'
 */
export class PositionMismatchError extends WasmliteError {
  /** Where this side is. */
  readonly have: Position;
  /** What the other side claims or continues from. */
  readonly got: Position;

  constructor(have: Position, got: Position) {
    super(`position mismatch: have ${have}, got ${got}`, 'POSITION_MISMATCH');
    this.have = have;
    this.got = got;
  }

  override get name(): string {
    return 'PositionMismatchError';
  }
}
