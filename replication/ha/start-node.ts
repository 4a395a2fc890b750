import fs from 'node:fs';
import { EtcdConnection } from './etcd-connection.ts';
import { FailoverNode, type ClusterNode } from './failover-node.ts';
import { settleNodeOptions, type NodeOptions } from './node-options.ts';

/**
 * Starts a failover node (issue 14; replication/PROTOCOL.md, "Nodes"). Every node is a
 * candidate: the one that holds the leader key in etcd (`/<cluster>/leader`, on a lease of
 * `leaseTtl` seconds) runs `startPrimary` on `port` with the key's epoch, and stops acknowledging
 * writes at its lease's local deadline; every other node follows it as a replica (a
 * `ReplicaFollower` over a `LeaderFeed`) and answers statements with a redirect to it.
 * In `quorum` mode a node leads only if no replica on the board is more advanced; a primary
 * whose term ends rejoins as a replica, its local history (whose tail no one acknowledged)
 * replaced by the new primary's snapshot. With etcd down, the primary steps down at its deadline,
 * replicas keep their data for reads, and a primary is elected when etcd is back.
 *
 * Throws a TypeError for bad options; an Error if `etcd3` is not installed.
 *
 * @example
 * const node = await startNode({ data: './n1', etcd: ['http://127.0.0.1:2379'], cluster: 'app', port: 7001 });
 */
export async function startNode(options: NodeOptions): Promise<ClusterNode> {
  const settled = settleNodeOptions(options);
  fs.mkdirSync(settled.data, { recursive: true });
  const etcd = await EtcdConnection.connect(settled.etcd);
  const node = new FailoverNode(etcd, settled);
  try {
    await node.start();
  } catch (error) {
    await node.close();
    throw error;
  }
  return node;
}
