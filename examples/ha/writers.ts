import type { NodeProcess } from './node-process.ts';

/**
 * Writers over plain HTTP (`INSERT INTO w (uid) VALUES (?)`, a fresh uid each time) that find the
 * primary themselves by asking each node's `/health`, look again whenever a node refuses or
 * fails, and keep each acknowledged uid and when it was acknowledged.
 *
 * @example
 * const writers = new Writers(nodes);
 * writers.start(4);
 * await writers.stop();
 * writers.acknowledged; // ['w0-0', 'w1-0', …]
 */
export class Writers {
  readonly acknowledged: string[] = [];
  /** Times (`performance.now()`) of each acknowledgement, in order. */
  readonly ackTimes: number[] = [];
  /** The node that gave each acknowledgement, in order. */
  readonly ackNodes: string[] = [];
  #stopped = false;
  #running: Promise<void[]> = Promise.resolve([]);
  #url: string | undefined;

  constructor(readonly nodes: readonly NodeProcess[]) {}

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
          this.ackNodes.push(url);
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
    for (const node of this.nodes) {
      if (!node.running) continue;
      const health = await node.health();
      if (health?.role === 'primary') return (this.#url = node.url);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    return undefined;
  }
}
