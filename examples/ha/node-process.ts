import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../replication/cli.ts', import.meta.url));

/** What `GET /health` of a node says. */
export interface Health {
  readonly role: 'primary' | 'replica' | 'candidate';
  readonly epoch: string;
  readonly primaryUrl: string | null;
  readonly position: string;
}

/**
 * One `wasmlite node` child process (replication/cli.ts under tsx), restartable on the same
 * directory and port; its output is kept in `output`.
 *
 * @example
 * const node = new NodeProcess(7001, './n1', ['--etcd', etcdUrl, '--cluster', 'demo']);
 * node.start();
 * await node.health(); // { role: 'primary', … } or undefined while it does not answer
 * await node.kill('SIGKILL');
 */
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
