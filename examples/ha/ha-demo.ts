/**
 * `npm run start:ha`: etcd and three `wasmlite node` processes on 127.0.0.1 in `quorum` mode.
 * Writers insert rows through whichever node is primary; the demo SIGKILLs the primary under
 * that load, prints the new primary and how long no write was acknowledged, brings the killed
 * node back as a replica, and checks that every acknowledged row is on every node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../../core/index.ts';
import { EtcdServer, freePort } from './etcd-server.ts';
import { NodeProcess } from './node-process.ts';
import { Writers } from './writers.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function primaryOf(nodes: readonly NodeProcess[], except?: NodeProcess): Promise<NodeProcess> {
  for (;;) {
    for (const node of nodes) {
      if (node !== except && node.running && (await node.health())?.role === 'primary') return node;
    }
    await sleep(20);
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-ha-'));
  const etcd = await EtcdServer.start();
  console.log(`etcd at ${etcd.url}`);
  const nodes: NodeProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const args = ['--etcd', etcd.url, '--cluster', 'demo', '--durability', 'quorum'];
    nodes.push(new NodeProcess(await freePort(), path.join(dir, `node${i + 1}`), args));
  }
  try {
    for (const node of nodes) node.start();
    const primary = await primaryOf(nodes);
    console.log(
      `nodes ${nodes.map((n) => n.url).join(', ')}; primary ${primary.url} (epoch ${(await primary.health())!.epoch})`,
    );
    const created = await fetch(`${primary.url}/v1/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'CREATE TABLE w (uid TEXT)' }),
    });
    if (created.status !== 200) throw new Error(`CREATE TABLE: HTTP ${created.status} ${await created.text()}`);

    const writers = new Writers(nodes);
    writers.start(4);
    while (writers.acknowledged.length < 200) await sleep(10);
    console.log(`${writers.acknowledged.length} writes acknowledged; SIGKILL of the primary ${primary.url}`);
    const killedAt = performance.now();
    const before = writers.ackTimes.length;
    await primary.kill('SIGKILL');
    // Answers the killed primary sent before it died may still arrive: only another node's count.
    const first = (): number =>
      writers.ackNodes.findIndex((url, i) => url !== primary.url && writers.ackTimes[i]! > killedAt);
    while (first() === -1) await sleep(5);
    const failover = writers.ackTimes[first()]! - killedAt;
    const next = await primaryOf(nodes, primary);
    console.log(
      `new primary ${next.url} (epoch ${(await next.health())!.epoch}); first write acknowledged ${Math.round(failover)} ms after the kill`,
    );
    while (writers.acknowledged.length < before + 200) await sleep(10);
    await writers.stop();
    primary.start();
    console.log(`${primary.url} restarted: it rejoins as a replica`);
    let positions: (string | undefined)[] = [];
    for (let tries = 0; tries < 400; tries++) {
      positions = await Promise.all(nodes.map(async (node) => (await node.health())?.position));
      if (positions.every((p) => p !== undefined && p === positions[0])) break;
      await sleep(50);
    }
    console.log(`every node at ${positions.join(', ')}`);
    await Promise.all(nodes.map((node) => node.kill('SIGTERM')));
    for (const node of nodes) {
      const db = await open(node.file, { readonly: true });
      const present = new Set(db.prepare('SELECT uid FROM w').pluck().all() as string[]);
      db.close();
      const missing = writers.acknowledged.filter((uid) => !present.has(uid)).length;
      console.log(
        `${node.url}: ${present.size} rows; ${writers.acknowledged.length - missing} of ${writers.acknowledged.length} acknowledged writes present`,
      );
      if (missing > 0) process.exitCode = 1;
    }
  } finally {
    await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
    await etcd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
