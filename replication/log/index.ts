export { LogCompactedError } from './log-compacted-error.ts';
export { LogCorruptionError, type CorruptionSite } from './log-corruption-error.ts';
export { LogIoError } from './log-io-error.ts';
export {
  applyChecksum,
  databaseChecksum,
  pageChecksum,
  zeroPageChecksum,
  type ChecksumChange,
  type DatabaseChecksumOptions,
} from './page-checksum.ts';
export { Position, type PositionLike } from './position.ts';
export { PositionMismatchError } from './position-mismatch-error.ts';
export { formatProof, PROOF_PATTERN, recordProof } from './record-proof.ts';
export type { LogRecovery, SetAsideSegments } from './log-recovery.ts';
export { TransactionLog, type TransactionLogOptions } from './transaction-log.ts';
export {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_RESULT_LENGTH,
  TxRecord,
  type TxMeta,
  type DecodeOptions,
  type PageChecksumSource,
  type TxPage,
  type TxRecordHeader,
} from './tx-record.ts';
