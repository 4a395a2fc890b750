export { PositionFile, type PositionPair } from './position-file.ts';
export { Replica, type ReplicaOptions } from './replica.ts';
