import { Position } from '../log/index.ts';
import type { EtcdConnection } from './etcd-connection.ts';

/** What a node is now. */
export type NodeRole = 'primary' | 'replica' | 'candidate';

/**
 * One node's line on the board: `/<cluster>/nodes/<name>` in etcd, JSON. Not attached to a
 * lease: a dead node's last position stays known, which is what keeps a less advanced node from
 * winning in `quorum` mode.
 */
export interface NodeEntry {
  readonly name: string;
  readonly url: string;
  readonly role: NodeRole;
  /** The epoch of the term it follows or leads (decimal). */
  readonly epoch: string;
  /** Its position: for a replica, applied and durable (published before it is reported). */
  readonly position: string;
  /** When it wrote this line, in ms since the Unix epoch (its own clock). */
  readonly updatedAt: number;
}

/**
 * The nodes' positions and roles in etcd, under `/<cluster>/nodes/`. A replica publishes its
 * position before it reports it to the primary, so every write a primary acknowledged in
 * `quorum` mode is on the board before the acknowledgement: the election reads the board, and
 * only a node at least as advanced as every replica on it may lead (the read and the leader key's
 * creation are one transaction, see `LeaderElection.tryLead`'s `unchanged`).
 *
 * @example
 * const board = new ClusterBoard(etcd, 'app');
 * await board.publish({ name: 'n1', url, role: 'replica', epoch: '12', position: pos.toString(), updatedAt: Date.now() });
 * const { nodes, revision } = await board.read();
 */
export class ClusterBoard {
  readonly prefix: string;
  readonly #etcd: EtcdConnection;

  constructor(etcd: EtcdConnection, cluster: string) {
    this.#etcd = etcd;
    this.prefix = `/${cluster}/nodes/`;
  }

  /** Writes `entry` as its node's line. Rejects if etcd cannot be reached. */
  publish(entry: NodeEntry): Promise<void> {
    return this.#etcd.put(`${this.prefix}${encodeURIComponent(entry.name)}`, JSON.stringify(entry));
  }

  /** Every node's line (lines that do not parse are left out), and etcd's revision at the read. */
  async read(): Promise<{ nodes: NodeEntry[]; revision: bigint }> {
    const { entries, revision } = await this.#etcd.list(this.prefix);
    const nodes: NodeEntry[] = [];
    for (const { value } of entries) {
      try {
        const node = JSON.parse(value) as NodeEntry;
        Position.parse(node.position);
        nodes.push(node);
      } catch {
        // Not ours, or damaged: it counts for nothing.
      }
    }
    return { nodes, revision };
  }

  /**
   * The highest txid among the replicas on the board other than `name`: in `quorum` mode a node
   * behind it may not lead (it could lack an acknowledged write).
   */
  static mostAdvancedReplica(nodes: readonly NodeEntry[], name: string): bigint {
    let most = 0n;
    for (const node of nodes) {
      if (node.name === name || node.role !== 'replica') continue;
      const txid = Position.parse(node.position).txid;
      if (txid > most) most = txid;
    }
    return most;
  }
}
