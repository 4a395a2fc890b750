export { LogRetention, type LogHold } from './log-retention.ts';
export { PrimaryDatabase, type PrimaryDatabaseOptions } from './primary-database.ts';
export { RequestError } from './request-error.ts';
export {
  StatementExecutor,
  type Access,
  type BatchMode,
  type StatementInput,
  type StatementResult,
} from './statement-executor.ts';
export { TransactionRegistry } from './transaction-registry.ts';
export { WriterLock } from './writer-lock.ts';
