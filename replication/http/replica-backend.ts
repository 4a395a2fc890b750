import type { ReplicaBackendFactory } from '../../core/client/transport.ts';
import { ReplicaFollower } from '../replica/replica-follower.ts';
import { ClusterPrimaryFeed } from './cluster-primary-feed.ts';
import { HttpPrimaryFeed } from './http-primary-feed.ts';
import { HttpTransport } from './http-transport.ts';

/**
 * The replica side of `createClient({ url: 'file:replica.db', syncUrl })`: a
 * {@link ReplicaFollower} on the file and an {@link HttpTransport} to the primary for writes.
 * Given one URL, the follower reads through an {@link HttpPrimaryFeed} on it; given several nodes,
 * through a {@link ClusterPrimaryFeed}, so that the local copy follows whichever node is the
 * primary across failovers. Throws a TypeError for bad options, as they do. `createClient` loads
 * it itself on first use (core's `loadReplicaBackend`); nothing needs to import or register it.
 * It lives in `http/` because it composes HTTP with the replica (which imports nothing from
 * `http/`).
 *
 * @example
 * const { replica, transport } = replicaBackend({ path: 'replica.db', syncUrl: 'http://127.0.0.1:7878' });
 * await replica.ready();
 */
export const replicaBackend: ReplicaBackendFactory = (options) => ({
  replica: ReplicaFollower.start({
    path: options.path,
    feed:
      options.syncUrls.length > 1
        ? new ClusterPrimaryFeed({
            nodes: options.syncUrls,
            ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
          })
        : new HttpPrimaryFeed({
            syncUrl: options.syncUrl,
            ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
          }),
  }),
  transport: new HttpTransport({
    syncUrl: options.syncUrls ?? options.syncUrl,
    ...(options.failoverTimeout === undefined ? {} : { failoverTimeoutMs: options.failoverTimeout }),
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ...(options.intMode === undefined ? {} : { intMode: options.intMode }),
  }),
});
