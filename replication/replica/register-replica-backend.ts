import { registerReplicaBackend } from '../../core/client/transport.ts';
import { HttpTransport } from '../http/http-transport.ts';
import { ReplicaFollower } from './replica-follower.ts';

/**
 * Makes `createClient({ url: 'file:replica.db', syncUrl })` build a replica client: a
 * {@link ReplicaFollower} on the file and an {@link HttpTransport} to the primary. Runs when
 * `wasmlite/replication` is imported.
 */
export function useReplicationForClients(): void {
  registerReplicaBackend((options) => ({
    replica: ReplicaFollower.start({ path: options.path, syncUrl: options.syncUrl, ...(options.authToken === undefined ? {} : { authToken: options.authToken }) }),
    transport: new HttpTransport({
      syncUrl: options.syncUrl,
      ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
      ...(options.intMode === undefined ? {} : { intMode: options.intMode }),
    }),
  }));
}

// Importing wasmlite/replication is what enables replica clients (core never imports replication).
useReplicationForClients();
