export { createClient } from './create-client.ts';
export { ClientError, type ClientErrorCode } from './client-error.ts';
export type {
  Client, Config, InArgs, InStatement, InValue, IntMode, ResultSet, Row, Transaction, TransactionMode, Value,
} from './types.ts';
