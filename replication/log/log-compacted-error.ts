import { WasmliteError } from '../../core/util/wasmlite-error.ts';
/**
 * The records asked for are older than the log keeps: `compact` has deleted them. A replica that
 * far behind has to start again from a snapshot. Thrown by `readFrom` when called, and by its
 * iterator if compaction overtakes it while it is being read.
 *
 * @example
 * try {
 *   for (const record of log.readFrom(replicaTxid + 1n)) send(record);
 * } catch (error) {
 *   if (error instanceof LogCompactedError) sendSnapshot();
 * }
 * // error.message: 'txid 3 is no longer in the log (it starts at txid 120)'
 */
export class LogCompactedError extends WasmliteError {
  /** The txid asked for. */
  readonly txid: bigint;
  /** The first txid the log still has. */
  readonly firstTxid: bigint;

  constructor(txid: bigint, firstTxid: bigint) {
    super(`txid ${txid} is no longer in the log (it starts at txid ${firstTxid})`, 'LOG_COMPACTED');
    this.txid = txid;
    this.firstTxid = firstTxid;
  }

  override get name(): string {
    return 'LogCompactedError';
  }
}
