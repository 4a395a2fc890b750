import fs from 'node:fs';
import { expect } from 'vitest';
import { databaseChecksum, Position } from '../../../replication/index.ts';
import type { ClusterNode } from '../../../examples/cluster/cluster-node.ts';
import { checkpoint, primaryPosition, TOKEN } from '../cluster/cluster-nodes.ts';

/** Rows of one statement run directly on the primary (`POST /v1/execute`). */
export async function primaryRows(url: string, sql: string, args: unknown[] = []): Promise<unknown[][]> {
  const response = await fetch(`${url}/v1/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql, args }),
  });
  const body = (await response.json()) as { rows?: unknown[][]; error?: { message: string } };
  if (response.status !== 200) throw new Error(`primary: HTTP ${response.status} ${body.error?.message}`);
  return body.rows!;
}

/** Resolves once `check()` is true; rejects after `timeoutMs` with `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Brings every replica to the primary's position, stops them and the primary, checkpoints each
 * file and checks that each replica's bytes equal the primary's, whose checksum is its position's.
 */
export async function expectByteIdentical(primary: ClusterNode & { url: string }, primaryFile: string, replicas: Array<[ClusterNode, string]>): Promise<void> {
  const position = await primaryPosition(primary.url);
  for (const [replica] of replicas) expect(await replica.call('sync')).toBe(position);
  for (const [replica] of replicas) await replica.stop();
  await primary.stop();
  await checkpoint(primaryFile);
  const bytes = fs.readFileSync(primaryFile);
  expect(databaseChecksum(bytes)).toBe(Position.parse(position).checksum);
  for (const [replica, file] of replicas) {
    await checkpoint(file);
    expect(fs.readFileSync(file).equals(bytes), `${replica.name} differs from the primary`).toBe(true);
  }
}
