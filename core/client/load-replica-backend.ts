import type { ReplicaBackendFactory } from './transport.ts';

let loaded: ReplicaBackendFactory | undefined;
let loading: Promise<ReplicaBackendFactory> | undefined;

/**
 * The replica backend `createClient({ syncUrl })` builds replica clients with (a follower of the
 * primary and a transport to it, from `wasmlite/replication`), loaded on first use with a dynamic
 * import and kept. This import is the one edge from core into replication (ARCHITECTURE.md): a
 * program that never asks for a replica never loads replication/. Importing
 * `wasmlite/replication` yourself changes nothing here (it registers nothing).
 *
 * @example
 * const factory = await loadReplicaBackend();
 * const { replica, transport } = factory({ path: 'replica.db', syncUrl: 'http://127.0.0.1:7878' });
 */
export function loadReplicaBackend(): Promise<ReplicaBackendFactory> {
  loading ??= import('../../replication/http/replica-backend.ts').then((module) => (loaded = module.replicaBackend));
  return loading;
}

/**
 * The replica backend once {@link loadReplicaBackend} has loaded it, else undefined: with it,
 * `createClient` builds a replica client at once rather than a stand-in that waits for the load.
 *
 * @example
 * const factory = loadedReplicaBackend(); // undefined before the first replica client
 */
export function loadedReplicaBackend(): ReplicaBackendFactory | undefined {
  return loaded;
}
