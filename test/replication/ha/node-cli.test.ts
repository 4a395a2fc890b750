import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode } from '../../../replication/index.ts';
import { describeWithEtcd, EtcdServer, freePort } from '../../support/etcd-server.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { NodeProcess } from './ha-cluster.ts';

const CLI = fileURLToPath(new URL('../../../replication/cli.ts', import.meta.url));

describe('startNode and wasmlite node: options', () => {
  it('refuses bad options with a TypeError before it connects to anything', async () => {
    const good = { data: '/tmp/x', etcd: ['http://127.0.0.1:1'], cluster: 'c', port: 7001 };
    await expect(startNode({ ...good, etcd: [] })).rejects.toThrow(/"etcd" option/);
    await expect(startNode({ ...good, cluster: 'a/b' })).rejects.toThrow(/"cluster" option/);
    await expect(startNode({ ...good, port: 0 })).rejects.toThrow(/"port" option/);
    await expect(startNode({ ...good, durability: 'fast' as never })).rejects.toThrow(/"durability" option/);
    await expect(startNode({ ...good, leaseTtl: 0.5 })).rejects.toThrow(/"leaseTtl" option/);
    await expect(startNode({ ...good, advertise: 'ftp://x' })).rejects.toThrow(/"advertise" option/);
    await expect(startNode({ ...good, host: '0.0.0.0' })).rejects.toThrow(/token .* non-loopback host 0.0.0.0/);
  });

  it('wasmlite node without its required flags prints the usage and exits 1', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'node', '--data', '/tmp/x'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(stderr).toMatch(/usage: .*wasmlite node --data <dir> --etcd <url,...> --cluster <name> --port <n>/s);
  });
});

describeWithEtcd('wasmlite node with a token file', () => {
  const temp = useTempDir();
  const nodes: NodeProcess[] = [];
  let etcd: EtcdServer | undefined;
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.kill('SIGKILL')));
    await etcd?.stop();
  });

  it('follows and reports with its write token, and asks one for /status on every node', async () => {
    etcd = await EtcdServer.start();
    const tokens = path.join(temp.dir, 'tokens');
    fs.writeFileSync(tokens, 'write-token\nread read-token\n');
    for (let i = 0; i < 2; i++) {
      const node = new NodeProcess(await freePort(), path.join(temp.dir, `n${i}`), [
        '--etcd',
        etcd.url,
        '--cluster',
        'tokens',
        '--token-file',
        tokens,
      ]);
      nodes.push(node);
      node.start();
    }
    let primary: NodeProcess | undefined;
    while (primary === undefined) {
      for (const node of nodes) if ((await node.health())?.role === 'primary') primary = node;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const write = (token?: string) =>
      fetch(`${primary!.url}/v1/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ sql: 'CREATE TABLE t (x)' }),
      });
    expect((await write()).status).toBe(401);
    // In quorum mode (the default) this answer needs the replica's report, sent with the write token.
    expect((await write('write-token')).status).toBe(200);
    for (const node of nodes) {
      expect((await fetch(`${node.url}/status`)).status).toBe(401);
      const status = await fetch(`${node.url}/status`, { headers: { authorization: 'Bearer read-token' } });
      expect(status.status).toBe(200);
      expect(((await status.json()) as { cluster: { nodes: unknown[] } }).cluster.nodes).toHaveLength(2);
    }
  });
});
