export * from './log/index.ts';
export * from './capture/index.ts';
export { RequestError } from './primary/index.ts';
export { startPrimary, type Primary, type PrimaryOptions } from './http/start-primary.ts';
export { HttpTransport, type HttpTransportOptions } from './http/http-transport.ts';
export { Replica, PositionFile, type ReplicaOptions, type PositionPair } from './replica/index.ts';
export { ReplicaFollower, type ReplicaFollowerOptions } from './replica/replica-follower.ts';
export { ReplicaTimeoutError } from './replica/replica-timeout-error.ts';
export { replicaBackend } from './replica/replica-backend.ts';
