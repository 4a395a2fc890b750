import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { open } from '../../../core/index.ts';
import { databaseChecksum, Position } from '../../../replication/index.ts';
import { ClusterNode } from '../../../examples/cluster/cluster-node.ts';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'cluster');
export const PRIMARY_NODE = path.join(EXAMPLE, 'primary-node.ts');
export const REPLICA_NODE = path.join(EXAMPLE, 'replica-node.ts');
export const TOKEN = 'cluster-test-token';

/** Starts cluster nodes as child processes; whatever is still running after a test is SIGKILLed. */
export function useCluster(): {
  primary(file: string, port?: number): Promise<ClusterNode & { url: string }>;
  replica(name: string, file: string, url: string): Promise<ClusterNode>;
} {
  afterEach(() => {
    ClusterNode.killAll();
  });
  return {
    async primary(file, port = 0) {
      const node = await ClusterNode.start('primary', PRIMARY_NODE, [file, String(port)], { WASMLITE_TOKEN: TOKEN });
      return Object.assign(node, { url: node.ready as string });
    },
    replica: (name, file, url) => ClusterNode.start(name, REPLICA_NODE, [file, url], { WASMLITE_TOKEN: TOKEN }),
  };
}

/** Runs one statement directly on the primary (`POST /v1/execute`); resolves with its position. */
export async function primaryExecute(url: string, sql: string, args: unknown[] = []): Promise<string> {
  const response = await fetch(`${url}/v1/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql, args }),
  });
  const body = (await response.json()) as { position?: string; error?: { message: string } };
  if (response.status !== 200) throw new Error(`primary: HTTP ${response.status} ${body.error?.message}`);
  return body.position!;
}

/** The primary's position from `GET /health`. */
export async function primaryPosition(url: string): Promise<string> {
  return ((await (await fetch(`${url}/health`)).json()) as { position: string }).position;
}

/** Checkpoints a database file that no process holds (`wal_checkpoint(TRUNCATE)`), leaving one file. */
export async function checkpoint(file: string): Promise<void> {
  const db = await open(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

export const txidOf = (position: string): bigint => BigInt(`0x${position.split('/')[0]}`);

export const COMPACTING_PRIMARY_NODE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'compacting-primary-node.ts',
);

/**
 * Starts a primary child process that keeps only `retainTxids` transactions in a log of
 * `segmentBytes` segments (killed after the test by {@link useCluster}'s hook).
 */
export async function startCompactingPrimary(
  file: string,
  retainTxids: number,
  segmentBytes: number,
): Promise<ClusterNode & { url: string }> {
  const node = await ClusterNode.start(
    'primary',
    COMPACTING_PRIMARY_NODE,
    [file, String(retainTxids), String(segmentBytes)],
    { WASMLITE_TOKEN: TOKEN },
  );
  return Object.assign(node, { url: node.ready as string });
}

/**
 * Brings every replica to the primary's position, stops them and the primary, checkpoints each
 * file and checks that each replica's bytes equal the primary's, whose checksum is its position's.
 */
export async function expectByteIdentical(
  primary: ClusterNode & { url: string },
  primaryFile: string,
  replicas: Array<[ClusterNode, string]>,
): Promise<void> {
  const position = await primaryPosition(primary.url);
  for (const [replica] of replicas) expect(await replica.call('sync')).toBe(position);
  for (const [replica] of replicas) await replica.stop();
  await primary.stop();
  await checkpoint(primaryFile);
  const bytes = fs.readFileSync(primaryFile);
  expect(databaseChecksum(bytes)).toBe(Position.parse(position).checksum);
  for (const [replica, file] of replicas) {
    await checkpoint(file);
    expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0);
    expect(fs.readFileSync(file).equals(bytes), `${replica.name} differs from the primary`).toBe(true);
  }
}
