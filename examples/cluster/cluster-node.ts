import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** What a node process answers to a call: a value, or the error it threw (name, code, message). */
type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; code?: string; message: string } };

/**
 * A cluster node (primary-node.ts or replica-node.ts) in a child process, driven over its IPC
 * channel. The child exits when the channel closes, so a parent that dies leaves no orphans.
 *
 * @example
 * const node = await ClusterNode.start('replica A', REPLICA_NODE, [file, url], { TOKEN: token });
 * await node.call('execute', 'SELECT 1');
 * await node.stop();
 */
export class ClusterNode {
  readonly name: string;
  /** What the child wrote to stderr (the replica follower's log goes there). */
  stderr = '';
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 0;
  #ready: unknown;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.#child = child;
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    child.on('message', (message: Reply | { ready: unknown }) => {
      if ('ready' in message) return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else
        pending.reject(
          Object.assign(new Error(`${name}: ${message.error.message}`), {
            name: message.error.name,
            code: message.error.code,
          }),
        );
    });
    child.once('exit', (code, signal) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`${name} exited (${signal ?? code})`));
      this.#pending.clear();
    });
  }

  /** Spawns `script` under tsx and resolves once it reports ready (with what it reported). */
  static async start(
    name: string,
    script: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<ClusterNode> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script, ...args], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, ...env },
    });
    const node = new ClusterNode(name, child);
    ClusterNode.#live.add(node);
    child.once('exit', () => ClusterNode.#live.delete(node));
    node.#ready = await new Promise((resolve, reject) => {
      child.on('message', (message: { ready?: unknown }) => {
        if ('ready' in message) resolve(message.ready);
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`${name} exited (${signal ?? code}) before it was ready: ${node.stderr.trim()}`)),
      );
    });
    return node;
  }

  static readonly #live = new Set<ClusterNode>();

  /** SIGKILLs every node still running (for `finally` blocks and `process.on('exit')`). */
  static killAll(): void {
    for (const node of ClusterNode.#live) node.kill('SIGKILL');
  }

  /** What the child reported when it became ready (the primary's URL, the replica's position). */
  get ready(): unknown {
    return this.#ready;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Runs `op` in the child; rejects with the child's error. */
  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ id, op, args });
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.#child.kill(signal);
  }

  /** Asks the node to close cleanly (`close` op) and waits for the process to exit. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = once(this.#child, 'exit');
    await this.call('close').catch(() => {});
    await exited;
  }

  /** Waits for the process to exit after a kill. */
  async exited(): Promise<void> {
    if (this.running) await once(this.#child, 'exit');
  }
}
