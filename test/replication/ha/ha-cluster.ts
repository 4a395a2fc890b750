import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { open } from '../../../core/index.ts';
import { NodeProcess } from '../../../examples/ha/node-process.ts';
import { EtcdServer, freePort } from '../../support/etcd-server.ts';

export { NodeProcess, type Health } from '../../../examples/ha/node-process.ts';
export { Writers } from '../../../examples/ha/writers.ts';

/** etcd and `count` nodes of one cluster, in `mode`, as child processes under `dir`. */
export class HaCluster {
  readonly nodes: NodeProcess[] = [];

  private constructor(readonly etcd: EtcdServer) {}

  static async start(dir: string, count: number, mode: 'async' | 'quorum'): Promise<HaCluster> {
    const cluster = new HaCluster(await EtcdServer.start());
    for (let i = 0; i < count; i++) {
      const node = new NodeProcess(await freePort(), path.join(dir, `n${i}`), [
        '--etcd',
        cluster.etcd.url,
        '--cluster',
        'test',
        '--durability',
        mode,
      ]);
      cluster.nodes.push(node);
      node.start();
    }
    return cluster;
  }

  /**
   * Waits until one running node says it is the primary and the others follow it; resolves with
   * that node. Rejects after `timeoutMs`.
   */
  async primary(timeoutMs = 20_000, except?: NodeProcess): Promise<NodeProcess> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const node of this.nodes) {
        if (node === except || !node.running) continue;
        if ((await node.health())?.role === 'primary') return node;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `no primary within ${timeoutMs} ms:\n${this.nodes.map((n) => n.output.slice(-15).join('\n')).join('\n--\n')}`,
    );
  }

  /** Waits until every running node is at the same position; resolves with it. */
  async level(timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let positions: (string | undefined)[] = [];
    while (Date.now() < deadline) {
      positions = await Promise.all(this.nodes.filter((n) => n.running).map(async (n) => (await n.health())?.position));
      if (positions.every((p) => p !== undefined && p === positions[0])) return positions[0]!;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `nodes not level within ${timeoutMs} ms: ${positions.join(', ')}\n${this.nodes.map((n) => n.output.slice(-12).join('\n')).join('\n--\n')}`,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill('SIGKILL')));
    await this.etcd.stop();
  }
}

/** Checkpoints `file` (no process holds it) and returns its bytes. */
export async function settledBytes(file: string): Promise<Buffer> {
  const db = await open(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return fs.readFileSync(file);
}

export async function createTable(primary: NodeProcess): Promise<void> {
  const response = await fetch(`${primary.url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'CREATE TABLE w (uid TEXT)' }),
  });
  expect(response.status).toBe(200);
}

/** The uids in `file`, each as often as it is there. */
export async function rows(file: string): Promise<string[]> {
  const db = await open(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return db.prepare('SELECT uid FROM w').pluck().all() as string[];
  } finally {
    db.close();
  }
}

export async function expectSettled(cluster: HaCluster, acknowledged: readonly string[]): Promise<void> {
  await cluster.level();
  await Promise.all(cluster.nodes.map((node) => node.kill('SIGTERM')));
  const [reference, ...others] = await Promise.all(cluster.nodes.map((node) => settledBytes(node.file)));
  for (const bytes of others) expect(bytes.equals(reference!)).toBe(true);
  const present = await rows(cluster.nodes[0]!.file);
  expect(new Set(present).size).toBe(present.length);
  const have = new Set(present);
  expect(acknowledged.filter((uid) => !have.has(uid))).toEqual([]);
}
