export { PositionFile, type PositionPair, type PositionWriter } from './position-file.ts';
export { Replica, type ReplicaOptions } from './replica.ts';
export type { LogOpening, PositionReport, PrimaryFeed, ReportOutcome, SnapshotDownload } from './primary-feed.ts';
