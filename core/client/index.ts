export { createClient } from './create-client.ts';
export { ClientError, type ClientErrorCode } from './client-error.ts';
export { LibsqlBatchError, LibsqlError } from './libsql-error.ts';
export { ForbiddenActionError } from './forbidden-action-error.ts';
export { rowValues } from './libsql-row.ts';
export type {
  Client,
  Config,
  InArgs,
  InStatement,
  InValue,
  IntMode,
  ResultSet,
  Row,
  Transaction,
  TransactionMode,
  TransactionOptions,
  Value,
} from './types.ts';
export { ReplicaClient, type ReplicaClientOptions } from './replica-client.ts';
export {
  type LocalReplica,
  type PrimaryTransport,
  type ReplicaBackend,
  type ReplicaBackendFactory,
  type ReplicaBackendOptions,
} from './transport.ts';
export type { NormalizedStatement } from './statement-runner.ts';
