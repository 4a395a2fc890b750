export * from './log/index.ts';
export * from './capture/index.ts';
export { RequestError } from './primary/index.ts';
export { startPrimary, type Primary, type PrimaryOptions, type PrimaryArchiveOptions } from './server/start-primary.ts';
export * from './backup/index.ts';
export { HttpTransport, type HttpTransportOptions } from './http/http-transport.ts';
export { HttpPrimaryFeed, type HttpPrimaryFeedOptions } from './http/http-primary-feed.ts';
export { ClusterPrimaryFeed, type ClusterPrimaryFeedOptions } from './http/cluster-primary-feed.ts';
export { Replica, PositionFile, type ReplicaOptions, type PositionPair } from './replica/index.ts';
export { ReplicaFollower, type ReplicaFollowerOptions } from './replica/replica-follower.ts';
export type {
  LogOpening,
  PositionReport,
  PrimaryFeed,
  ReportOutcome,
  SnapshotDownload,
} from './replica/primary-feed.ts';
export { ReplicaTimeoutError } from './replica/replica-timeout-error.ts';
export { replicaBackend } from './http/replica-backend.ts';
export { startNode } from './ha/start-node.ts';
export type { ClusterNode } from './ha/failover-node.ts';
export type { NodeOptions } from './ha/node-options.ts';
export type { NodeRole } from './ha/cluster-board.ts';
