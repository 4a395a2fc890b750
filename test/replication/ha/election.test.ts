import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { EtcdConnection } from '../../../replication/ha/etcd-connection.ts';
import { LeaderElection } from '../../../replication/ha/leader-election.ts';
import type { LeaderTerm } from '../../../replication/ha/leader-term.ts';
import { describeWithEtcd, EtcdServer } from '../../support/etcd-server.ts';

describeWithEtcd('leader election on etcd', () => {
  let etcd: EtcdServer;
  const connections: EtcdConnection[] = [];
  const terms: LeaderTerm[] = [];
  beforeAll(async () => {
    etcd = await EtcdServer.start();
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  afterEach(async () => {
    for (const term of terms.splice(0)) await term.end();
    for (const connection of connections.splice(0)) connection.close();
  });

  async function election(cluster: string, ttlSeconds = 2): Promise<LeaderElection> {
    const connection = await EtcdConnection.connect([etcd.url]);
    connections.push(connection);
    return new LeaderElection(connection, { cluster, ttlSeconds, clockMargin: 0.1 });
  }

  it('lets one candidate lead, with the revision that created the key as its epoch', async () => {
    const [a, b] = [await election('one'), await election('one')];
    const term = (await a.tryLead('http://a'))!;
    terms.push(term);
    expect(term).toBeDefined();
    expect(term.valid()).toBe(true);
    expect(await b.tryLead('http://b')).toBeUndefined();
    expect(await b.leader()).toEqual({ url: 'http://a', epoch: term.epoch });

    // A new term has a higher epoch.
    await term.end();
    expect(term.valid()).toBe(false);
    expect(await a.leader()).toBeUndefined();
    const next = (await b.tryLead('http://b'))!;
    terms.push(next);
    expect(next.epoch).toBeGreaterThan(term.epoch);
    expect(await a.leader()).toEqual({ url: 'http://b', epoch: next.epoch });
  });

  it('keeps the term while keepalives pass, for several TTLs', async () => {
    const term = (await (await election('renew')).tryLead('http://a'))!;
    terms.push(term);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(term.valid()).toBe(true);
    expect(term.remainingMs()).toBeGreaterThan(1000);
  });

  it('ends a term cut off from etcd at its local deadline, before etcd lets another node lead', async () => {
    const [a, b] = [await election('cut'), await election('cut')];
    const term = (await a.tryLead('http://a'))!;
    terms.push(term);
    const ended = new Promise<number>((resolve) => term.onEnd(() => resolve(performance.now())));
    await etcd.kill('SIGSTOP');
    const stoppedAt = performance.now();
    let endedAt: number;
    try {
      endedAt = await ended;
      expect(term.valid()).toBe(false);
      // Within the TTL (2 s) of its last keepalive, which was at most a third of it before.
      expect(endedAt - stoppedAt).toBeLessThan(2000);
    } finally {
      await etcd.kill('SIGCONT');
    }
    // etcd, back, counts the TTL from the last keepalive it saw: b can lead only after that.
    let next: LeaderTerm | undefined;
    while (next === undefined) {
      next = await b.tryLead('http://b');
      if (next === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    terms.push(next);
    expect(performance.now()).toBeGreaterThan(endedAt);
    expect(next.epoch).toBeGreaterThan(term.epoch);
  });
});
