/**
 * The replication benchmark's child processes, seen from the suite: a primary (`primary.mjs`) or
 * a task (`worker.mjs`, one measurement of `tasks.mjs`), each a `node` process on 127.0.0.1
 * talking to the suite over the IPC channel (structured clone, so bigints and typed arrays pass).
 *
 * ```js
 * const primary = await Node.start('primary', { path: '/tmp/x/primary.db' });
 * const run = Node.start('task', { task: 'write', params: { url: primary.ready.url, clients: 8, seconds: 2 } });
 * const { result } = await run.done;
 * await primary.stop();
 * Node.killAll(); // in a finally: nothing survives the suite
 * ```
 */
import { fork } from 'node:child_process';
import path from 'node:path';

const SCRIPTS = {
  primary: path.join(import.meta.dirname, 'primary.mjs'),
  task: path.join(import.meta.dirname, 'worker.mjs'),
};
const live = new Set();

export class Node {
  /** Forks `kind` with `params`; `ready` resolves with its first `{ ready }` message, `done` with `{ result }`. */
  static start(kind, params) {
    return new Node(kind, params);
  }

  /** Kills every child still running (SIGKILL). */
  static killAll() {
    for (const node of live) node.child.kill('SIGKILL');
    live.clear();
  }

  constructor(kind, params) {
    this.label = kind === 'task' ? `task ${params.task}` : kind;
    this.child = fork(SCRIPTS[kind], [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      execArgv: ['--max-old-space-size=8192'],
    });
    live.add(this);
    let stderr = '';
    this.child.stderr?.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const listeners = new Set();
    this.messages = listeners;
    /** @type {Promise<any>} resolves with the child's `{ result }` */
    this.done = Promise.resolve();
    /** @type {Promise<any>} resolves with the child's `{ ready }` */
    this.ready = new Promise((resolveReady, rejectReady) => {
      this.done = new Promise((resolveDone, rejectDone) => {
        this.child.on('message', (/** @type {Record<string, any>} */ message) => {
          if (message.ready !== undefined) resolveReady(message.ready);
          else if (message.result !== undefined) resolveDone(message.result);
          else if (message.error !== undefined) {
            const error = new Error(`${this.label}: ${message.error}`);
            rejectReady(error);
            rejectDone(error);
          }
          for (const listener of listeners) listener(message);
        });
        this.child.on('exit', (code, signal) => {
          live.delete(this);
          const error = new Error(
            `${this.label} exited (${code ?? signal}) before answering: ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
          );
          rejectReady(error);
          rejectDone(error);
        });
      });
    });
    this.ready.catch(() => {});
    this.done.catch(() => {});
    this.child.send({ kind, params });
  }

  send(message) {
    this.child.send(message);
  }

  /** Sends `message` and resolves with the first message back that has the property `key`. */
  ask(message, key) {
    return new Promise((resolve) => {
      const listener = (reply) => {
        if (!(key in reply)) return;
        this.messages.delete(listener);
        resolve(reply[key]);
      };
      this.messages.add(listener);
      this.child.send(message);
    });
  }

  /** Asks the child to stop (`{ stop }`) and resolves with its result; kills it after `graceMs`. */
  async stop(extra = {}, graceMs = 30_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return undefined;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      this.child.send({ stop: true, ...extra });
      return await this.done;
    } finally {
      clearTimeout(timer);
    }
  }
}
