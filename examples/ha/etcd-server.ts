import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Debian's etcd-server (3.4), which `.ci/run` installs; `WASMLITE_ETCD` names another binary. */
export const ETCD_BINARY = process.env.WASMLITE_ETCD ?? '/usr/bin/etcd';

/** A port free now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A single-member etcd on 127.0.0.1 with free ports and a data directory of its own (for tests and
 * the HA demo).
 * It can be killed (SIGKILL, SIGSTOP) and restarted on the same directory and ports.
 *
 * @example
 * const etcd = await EtcdServer.start();
 * etcd.url; // 'http://127.0.0.1:40123'
 * await etcd.kill(); await etcd.restart();
 * await etcd.stop();
 */
export class EtcdServer {
  readonly url: string;
  readonly dir: string;
  readonly #peerUrl: string;
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(url: string, peerUrl: string, dir: string) {
    this.url = url;
    this.#peerUrl = peerUrl;
    this.dir = dir;
  }

  /** Starts etcd and resolves once it answers `/health`. */
  static async start(): Promise<EtcdServer> {
    if (!fs.existsSync(ETCD_BINARY))
      throw new Error(`${ETCD_BINARY} is not installed: the failover tests need etcd (apt-get install etcd-server)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-etcd-'));
    const server = new EtcdServer(`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`, dir);
    await server.restart();
    return server;
  }

  /** The process id, while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts it again (after {@link kill}) on the same directory and ports. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error('etcd is running');
    this.#output = '';
    const child = spawn(
      ETCD_BINARY,
      [
        '--name=test',
        `--data-dir=${path.join(this.dir, 'data')}`,
        `--listen-client-urls=${this.url}`,
        `--advertise-client-urls=${this.url}`,
        `--listen-peer-urls=${this.#peerUrl}`,
        `--initial-advertise-peer-urls=${this.#peerUrl}`,
        `--initial-cluster=test=${this.#peerUrl}`,
        '--log-level=error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (this.#child !== child) throw new Error(`etcd exited at start:\n${this.#output}`);
      try {
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(500) });
        if ((await response.text()).includes('"true"')) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`etcd did not become healthy within 15 s:\n${this.#output}`);
  }

  /** Sends `signal` (default SIGKILL) and, unless it is SIGSTOP/SIGCONT, waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      child.kill(signal);
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Kills it and removes its directory. */
  async stop(): Promise<void> {
    await this.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
