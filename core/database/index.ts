export { open } from './open.ts';
export {
  Database, type BackupOptions, type BackupResult, type FunctionOptions, type JournalMode, type OpenOptions, type SerializeOptions,
} from './database.ts';
export { Statement, type ColumnDefinition, type RunResult } from './statement.ts';
export { SqliteError } from './sqlite-error.ts';
export type { TransactionFunction } from './transaction.ts';
