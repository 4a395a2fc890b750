import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

it('runs the cluster demo to completion and prints equal positions and the lag', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', path.join(ROOT, 'examples', 'cluster', 'cluster.ts')], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code, out).toBe(0);
  const position = /primary\s+([0-9a-f]{16}\/[0-9a-f]{16})\n\s+replica A ([0-9a-f/]+)\n\s+replica B ([0-9a-f/]+)\s+\(all equal\)/.exec(out);
  expect(position, out).not.toBeNull();
  expect(position![2]).toBe(position![1]);
  expect(position![3]).toBe(position![1]);
  expect(out).toMatch(/281 rows, 5 tagged; columns id, title, body, tags/);
  expect(out).toMatch(/replication lag, A's ack → B applied, over \d+ writes: min [\d.]+ ms, median [\d.]+ ms, max [\d.]+ ms/);
  expect(out).toMatch(/stopped the primary and both replicas/);
});
