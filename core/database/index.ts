export { open } from './open.ts';
export { Database, type BackupResult, type FunctionOptions, type JournalMode, type OpenOptions } from './database.ts';
export { Statement, type ColumnDefinition, type RunResult } from './statement.ts';
export { SqliteError } from './sqlite-error.ts';
export type { Authorizer } from './authorizer.ts';
export type { TransactionFunction } from './transaction.ts';
export type { AggregateOptions } from './aggregate.ts';
export type { TableDefinition, TableFactory, TableFactoryContext } from './table-definition.ts';
