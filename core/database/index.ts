export { open } from './open.ts';
export {
  Database,
  type FunctionOptions,
  type JournalMode,
  type OpenOptions,
  type SerializeOptions,
} from './database.ts';
export type { BackupOptions, BackupResult } from './backup.ts';
export { Statement, type ColumnDefinition, type RunResult } from './statement.ts';
export { SqliteError } from './sqlite-error.ts';
export type { Authorizer } from './authorizer.ts';
export type { TransactionFunction } from './transaction.ts';
export type { AggregateOptions } from './aggregate.ts';
export type { TableDefinition, TableFactory, TableFactoryContext } from './table-definition.ts';
