export { PositionFile, type PositionPair, type PositionWriter } from './position-file.ts';
export { Replica, type ReplicaOptions } from './replica.ts';
