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
  /**
   * The epoch of the last record of its history (decimal): histories are ordered by
   * (`lastEpoch`, txid), as Raft orders logs by last term and index.
   */
  readonly lastEpoch: string;
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
   * The replica on the board (other than `name`) whose history is ahead of one whose last record
   * has epoch `lastEpoch` and whose position is `txid`, if any: in `quorum` mode such a node may
   * not lead, as it could lack an acknowledged write. A history with a record of a later term
   * holds every write acknowledged before that term began (its primary was elected by this same
   * rule), so a later `lastEpoch` wins whatever the txids; within one epoch the higher txid does.
   */
  static replicaAhead(
    nodes: readonly NodeEntry[],
    name: string,
    lastEpoch: bigint,
    txid: bigint,
  ): NodeEntry | undefined {
    return nodes.find((node) => {
      if (node.name === name || node.role !== 'replica') return false;
      const epoch = /^\d{1,20}$/.test(node.lastEpoch ?? '') ? BigInt(node.lastEpoch) : 0n;
      return epoch > lastEpoch || (epoch === lastEpoch && Position.parse(node.position).txid > txid);
    });
  }
}
