import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from '../../../core/index.ts';
import { EtcdServer, freePort } from '../../support/etcd-server.ts';

const CLI = fileURLToPath(new URL('../../../replication/cli.ts', import.meta.url));

/** What `GET /health` of a node says. */
export interface Health {
  readonly role: 'primary' | 'replica' | 'candidate';
  readonly epoch: string;
  readonly primaryUrl: string | null;
  readonly position: string;
}

/** One `wasmlite node` child process (restartable on the same directory and port). */
export class NodeProcess {
  readonly url: string;
  readonly dir: string;
  readonly output: string[] = [];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    dir: string,
    readonly args: readonly string[],
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.dir = dir;
  }

  get file(): string {
    return path.join(this.dir, 'wasmlite.db');
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  start(): void {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'node', '--data', this.dir, '--port', String(this.port), ...this.args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line !== '') this.output.push(line);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.#child === child) this.#child = undefined;
        resolve();
      }),
    );
  }

  /** Sends `signal`; for a signal that ends the process, waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill(signal);
    if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') await this.#exited;
  }

  async health(): Promise<Health | undefined> {
    try {
      const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
      if (response.status !== 200) return undefined;
      return (await response.json()) as Health;
    } catch {
      return undefined;
    }
  }
}

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
    throw new Error(`nodes not level within ${timeoutMs} ms: ${positions.join(', ')}`);
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

/**
 * Writers over plain HTTP that find the primary themselves (a 307 names it; a refused or dead
 * node sends them looking again) and keep each acknowledged row's uid.
 */
export class Writers {
  readonly acknowledged: string[] = [];
  /** Times (ms) of each acknowledgement, in order. */
  readonly ackTimes: number[] = [];
  #stopped = false;
  #running: Promise<void[]> = Promise.resolve([]);
  #url: string | undefined;

  constructor(readonly cluster: HaCluster) {}

  start(count: number): void {
    this.#running = Promise.all(Array.from({ length: count }, (_, i) => this.#write(`w${i}`)));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #write(name: string): Promise<void> {
    for (let i = 0; !this.#stopped;) {
      const url = this.#url ?? (await this.#find());
      if (url === undefined) continue;
      try {
        const response = await fetch(`${url}/v1/execute`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sql: 'INSERT INTO w (uid) VALUES (?)', args: [`${name}-${i}`] }),
          redirect: 'manual',
          signal: AbortSignal.timeout(5000),
        });
        await response.arrayBuffer();
        if (response.status === 200) {
          this.acknowledged.push(`${name}-${i}`);
          this.ackTimes.push(performance.now());
        } else {
          this.#url = undefined;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch {
        // The node is gone or did not answer: the write may or may not have committed, and was
        // not acknowledged. Never retried under the same uid, so nothing can be applied twice.
        this.#url = undefined;
      }
      i++;
    }
  }

  async #find(): Promise<string | undefined> {
    for (const node of this.cluster.nodes) {
      if (!node.running) continue;
      const health = await node.health();
      if (health?.role === 'primary') return (this.#url = node.url);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    return undefined;
  }
}
