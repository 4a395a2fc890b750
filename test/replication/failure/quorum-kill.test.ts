import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { HttpPrimaryFeed, ReplicaFollower } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from '../primary/http.ts';

const CLI = fileURLToPath(new URL('../../../replication/cli.ts', import.meta.url));
const LINK_DELAY_MS = 100;

/**
 * A slow link between the primary and its replica: log stream bytes arrive `LINK_DELAY_MS` late,
 * and what is still on the way when the primary dies is lost with it (as with a machine that
 * fails). Everything else passes straight through.
 */
async function slowLink(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const forward = http.request(`${upstream}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      if (!req.url!.startsWith('/v1/log')) return void answer.pipe(res);
      let dead = false;
      answer.on('data', (chunk: Buffer) => setTimeout(() => dead || res.write(chunk), LINK_DELAY_MS));
      answer.on('close', () => {
        dead = true;
        res.destroy();
      });
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('durability when the primary dies with its disk', () => {
  const temp = useTempDir();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Writes through a primary in `mode` until 40 are acknowledged, kills it, deletes its files; the acknowledged uids the replica lacks. */
  async function lostAfterKill(mode: 'async' | 'quorum'): Promise<{ lost: string[]; acknowledged: number }> {
    const dir = path.join(temp.dir, mode);
    fs.mkdirSync(dir);
    const primaryFile = path.join(dir, 'primary.db');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'primary', primaryFile, '--port', '0', '--durability', mode],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => child.kill('SIGKILL'));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    const url = /(http:\/\/\S+),/.exec(line)![1]!;
    const link = await slowLink(url);
    cleanups.push(() => link.close());
    const replicaFile = path.join(dir, 'replica.db');
    const follower = ReplicaFollower.start({
      path: replicaFile,
      feed: new HttpPrimaryFeed({ syncUrl: link.url }),
      log: () => {},
    });
    cleanups.push(() => follower.close());
    await follower.ready();
    expect((await call(url, '/v1/execute', { sql: 'CREATE TABLE w (uid TEXT PRIMARY KEY)' })).status).toBe(200);
    // The replica has the table before the load starts (in async mode the write did not wait for it).
    await follower.sync();

    const acknowledged: string[] = [];
    let killed = false;
    const writer = async (name: string): Promise<void> => {
      for (let i = 0; !killed; i++) {
        try {
          const answer = await call(url, '/v1/execute', {
            sql: 'INSERT INTO w (uid) VALUES (?)',
            args: [`${name}-${i}`],
          });
          if (answer.status === 200) acknowledged.push(`${name}-${i}`);
        } catch {
          // The primary is gone: this write was never acknowledged.
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, i) => writer(`w${i}`)));
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    killed = true;
    await load;
    await follower.close();

    // The primary's disk is lost: only the replica remains.
    for (const name of fs.readdirSync(dir).filter((n) => n.startsWith('primary.db')))
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    const replica = await open(replicaFile, { readonly: true });
    try {
      expect(replica.pragma('integrity_check', { simple: true })).toBe('ok');
      const present = new Set(replica.prepare('SELECT uid FROM w').pluck().all() as string[]);
      return { lost: acknowledged.filter((uid) => !present.has(uid)), acknowledged: acknowledged.length };
    } finally {
      replica.close();
    }
  }

  it('quorum: every acknowledged write is on the replica after SIGKILL of the primary and the loss of its files', async () => {
    const { lost, acknowledged } = await lostAfterKill('quorum');
    expect(acknowledged).toBeGreaterThanOrEqual(40);
    expect(lost).toEqual([]);
  });

  it('async, for contrast: the writes acknowledged in the last moments before the same failure are lost', async () => {
    const { lost } = await lostAfterKill('async');
    expect(lost.length).toBeGreaterThan(0);
  });
});
