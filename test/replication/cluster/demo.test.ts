import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

it("runs the cluster demo (npm start) to completion and prints equal positions, the lag and the primary's view of its replicas", async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', path.join(ROOT, 'examples', 'cluster', 'cluster.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code, out).toBe(0);
  const position =
    /primary\s+([0-9a-f]{16}\/[0-9a-f]{16})\n\s+replica A ([0-9a-f/]+)\n\s+replica B ([0-9a-f/]+)\s+\(all equal\)/.exec(
      out,
    );
  expect(position, out).not.toBeNull();
  expect(position![2]).toBe(position![1]);
  expect(position![3]).toBe(position![1]);
  expect(out).toMatch(/281 rows, 5 tagged; columns id, title, body, tags/);
  expect(out).toMatch(
    /replication lag, A's ack → B applied, over \d+ writes: min [\d.]+ ms, median [\d.]+ ms, max [\d.]+ ms/,
  );
  expect(out).toMatch(/the primary's \/status lists 2 replicas:/);
  expect(out.match(/[ab]\.db {2}at [0-9a-f/]+, 0 transactions \/ 0 ms behind/g), out).toHaveLength(2);
  expect(out).toMatch(/stopped the primary and both replicas/);
  const script = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start as string;
  expect(script).toContain('examples/cluster/cluster.ts');
});
