import type { ReplicaBackendFactory } from '../../core/client/transport.ts';
import { ClusterPrimaryFeed } from '../http/cluster-primary-feed.ts';
import { HttpTransport } from '../http/http-transport.ts';
import { ReplicaFollower } from './replica-follower.ts';

/**
 * The replica side of `createClient({ url: 'file:replica.db', syncUrl })`: a
 * {@link ReplicaFollower} on the file and an {@link HttpTransport} to the primary. Given several
 * nodes, the follower reads through a {@link ClusterPrimaryFeed}, so that the local copy follows
 * whichever node is the primary across failovers; given one, it follows that URL. Throws a
 * TypeError for bad options, as they do. `createClient` loads it itself on first use (core's
 * `loadReplicaBackend`); nothing needs to import or register it.
 *
 * @example
 * const { replica, transport } = replicaBackend({ path: 'replica.db', syncUrl: 'http://127.0.0.1:7878' });
 * await replica.ready();
 */
export const replicaBackend: ReplicaBackendFactory = (options) => ({
  replica: ReplicaFollower.start({
    path: options.path,
    ...(options.syncUrls.length > 1
      ? {
          feed: new ClusterPrimaryFeed({
            nodes: options.syncUrls,
            ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
          }),
        }
      : { syncUrl: options.syncUrl }),
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
  }),
  transport: new HttpTransport({
    syncUrl: options.syncUrls ?? options.syncUrl,
    ...(options.failoverTimeout === undefined ? {} : { failoverTimeoutMs: options.failoverTimeout }),
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ...(options.intMode === undefined ? {} : { intMode: options.intMode }),
  }),
});
