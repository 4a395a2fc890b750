import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpPrimaryFeed, ReplicaFollower, startPrimary, TransactionLog } from '../../../replication/index.ts';
import { freePort } from '../../support/etcd-server.ts';
import { usePrimary } from './use-primary.ts';

async function execute(url: string, sql: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ sql }),
  });
  return {
    status: response.status,
    epoch: response.headers.get('wasmlite-epoch'),
    body: (await response.json()) as { error?: { code: string; message: string } },
  };
}

describe("a primary's term: epoch and the right to acknowledge", () => {
  const { temp, start } = usePrimary();

  it('stamps its epoch into the records it writes and into Wasmlite-Epoch on every answer', async () => {
    const primary = await start({ epoch: 42n });
    const answer = await execute(primary.url, 'CREATE TABLE t (x)');
    expect(answer).toMatchObject({ status: 200, epoch: '42' });
    const health = await fetch(`${primary.url}/health`);
    expect(health.headers.get('wasmlite-epoch')).toBe('42');
    expect(await health.json()).toMatchObject({ role: 'primary', epoch: '42', primaryUrl: primary.url });
    await primary.close();
    const log = TransactionLog.open(path.join(temp.dir, 'app.db-log'));
    try {
      expect([...log.readFrom(1n)].map((record) => record.epoch)).toEqual([42n]);
    } finally {
      log.close();
    }
  });

  it('refuses a statement from a client that has seen a newer epoch with 503 NOT_PRIMARY, and runs nothing', async () => {
    const primary = await start({ epoch: 7n });
    const refused = await execute(primary.url, 'CREATE TABLE t (x)', { 'wasmlite-epoch': '8' });
    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe('NOT_PRIMARY');
    expect(primary.position().txid).toBe(0n);
    expect((await execute(primary.url, 'CREATE TABLE t (x)', { 'wasmlite-epoch': '7' })).status).toBe(200);
  });

  it('once it may not acknowledge, refuses statements, and answers a write that committed meanwhile NOT_PRIMARY', async () => {
    let allowed = true;
    let checks = 0;
    const primary = await start({
      mayAcknowledge: () => {
        checks++;
        return allowed;
      },
    });
    expect((await execute(primary.url, 'CREATE TABLE t (x)')).status).toBe(200);
    allowed = false;
    const refused = await execute(primary.url, 'INSERT INTO t VALUES (1)');
    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe('NOT_PRIMARY');
    expect(primary.position().txid).toBe(1n);
    expect(await (await fetch(`${primary.url}/health`)).json()).toMatchObject({ role: 'candidate', primaryUrl: null });
  });

  it('answers NOT_PRIMARY, not acknowledged, a write that committed as its term ended', async () => {
    let checks = 0;
    // Allowed when the statement starts, not when its answer is due.
    const primary = await start({ mayAcknowledge: () => ++checks % 2 === 1 });
    const answer = await execute(primary.url, 'CREATE TABLE t (x)');
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({
      code: 'NOT_PRIMARY',
      message: expect.stringMatching(/not acknowledged/),
    });
    expect(primary.position().txid).toBe(1n);
  });

  it('a replica refuses a primary of an older epoch than one it has followed', async () => {
    // A primary of epoch 3 writes; a copy of its files takes over at epoch 5 and writes on.
    const older = await start({ epoch: 3n });
    expect((await execute(older.url, 'CREATE TABLE t (x)')).status).toBe(200);
    await older.close();
    for (const name of ['app.db', 'app.db-wal', 'app.db-log']) {
      const from = path.join(temp.dir, name);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(temp.dir, name.replace('app', 'newer')), { recursive: true });
    }
    const port = await freePort();
    const newer = await startPrimary({ path: path.join(temp.dir, 'newer.db'), epoch: 5n, port });
    const messages: string[] = [];
    let follower: ReplicaFollower | undefined;
    try {
      expect((await execute(newer.url, 'INSERT INTO t VALUES (1)')).status).toBe(200);
      follower = ReplicaFollower.start({
        path: path.join(temp.dir, 'replica.db'),
        feed: new HttpPrimaryFeed({ syncUrl: newer.url }),
        log: (m) => messages.push(m),
      });
      await follower.sync();
      while (!follower.connected) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(follower.position().txid).toBe(2n);
    } finally {
      await newer.close();
    }
    try {
      // The deposed primary of epoch 3 comes back at the address the replica follows.
      await start({ epoch: 3n, port });
      const deadline = Date.now() + 5000;
      while (!messages.some((m) => /epoch 3, older than epoch 5/.test(m)) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(messages.join('\n')).toMatch(/primary of epoch 3, older than epoch 5/);
      expect(follower.position().txid).toBe(2n);
    } finally {
      await follower.close();
    }
  });

  it('refuses to start with an epoch older than the last record of its log, and leaves the log as it was', async () => {
    const newer = await start({ epoch: 5n });
    expect((await execute(newer.url, 'CREATE TABLE t (x)')).status).toBe(200);
    await newer.close();
    await expect(start({ epoch: 4n })).rejects.toThrow(
      /"epoch" option to be at least 5, the epoch of the log's last record/,
    );
    const restarted = await start({ epoch: 5n });
    expect(restarted.position().txid).toBe(1n);
  });
});
