import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpPrimaryFeed, Position, ReplicaFollower, startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from './http.ts';

const WRITE = 'write-token';
const READ = 'read-token';
const REPLICA = 'replica-token';

describe('POST /v1/ack: only a real replica confirms a quorum write', () => {
  const temp = useTempDir();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(): Promise<Primary> {
    const primary = await startPrimary({
      path: path.join(temp.dir, 'primary.db'),
      heartbeatMs: 100,
      durability: 'quorum',
      quorumTimeoutMs: 600,
      tokens: { write: [WRITE], read: [READ], replicate: [REPLICA] },
    });
    cleanups.push(() => primary.close());
    return primary;
  }

  function follow(
    primary: Primary,
    name: string,
    authToken: string,
    log: (message: string) => void = () => {},
  ): ReplicaFollower {
    const follower = ReplicaFollower.start({
      path: path.join(temp.dir, `${name}.db`),
      feed: new HttpPrimaryFeed({ syncUrl: primary.url, authToken }),
      name,
      log,
    });
    cleanups.push(() => follower.close());
    return follower;
  }

  /** A write on the primary while `forge` runs; resolves with the write's answer. */
  async function writeWhile(
    primary: Primary,
    sql: string,
    forge: (position: string) => Promise<void>,
  ): Promise<{ status: number; body: any }> {
    const before = primary.position().txid;
    const write = call(primary.url, '/v1/execute', { sql }, WRITE);
    while (primary.position().txid === before) await new Promise((r) => setTimeout(r, 5));
    // All a forger can know: the position, published without a token by /health.
    const health = await call(primary.url, '/health');
    expect(health.body.position).toBe(primary.position().toString());
    await forge(health.body.position);
    return write;
  }

  const report = (position: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    replica: 'forger',
    name: 'forger',
    position,
    durable: true,
    ...extra,
  });

  it('refuses a report with a read token (403) or none (401): the write times out instead of being acknowledged', async () => {
    const primary = await start();
    const answers: number[] = [];
    const written = await writeWhile(primary, 'CREATE TABLE t (x)', async (position) => {
      for (let i = 0; i < 20; i++) {
        const read = await call(primary.url, '/v1/ack', report(position), READ);
        expect(read.body.error.code).toBe('NOT_A_REPLICA');
        answers.push(read.status, (await call(primary.url, '/v1/ack', report(position))).status);
      }
    });
    expect(new Set(answers)).toEqual(new Set([403, 401]));
    expect(written.status).toBe(503);
    expect(written.body.error.code).toBe('QUORUM_TIMEOUT');
    expect((await call(primary.url, '/status', undefined, WRITE)).body.replicas).toEqual([]);

    // A follower given a read token follows, but its reports are refused: it confirms nothing.
    const messages: string[] = [];
    const reader = follow(primary, 'reader', READ, (m) => messages.push(m));
    await reader.sync();
    const next = await call(primary.url, '/v1/execute', { sql: 'INSERT INTO t VALUES (1)' }, WRITE);
    expect(next.body.error.code).toBe('QUORUM_TIMEOUT');
    await reader.sync();
    expect(reader.position().toString()).toBe(primary.position().toString());
    expect(messages.filter((m) => /refuses this replica's reports: HTTP 403.*confirms no write/.test(m))).toHaveLength(
      1,
    );
    // Refused once, it stops reporting: five heartbeats later the primary has heard no more.
    const refusedReports = async (): Promise<string | undefined> => {
      const metrics = await (
        await fetch(`${primary.url}/metrics`, { headers: { authorization: `Bearer ${WRITE}` } })
      ).text();
      return /^wasmlite_replica_reports_total\{status="403"\} (\d+)$/m.exec(metrics)?.[1];
    };
    const refused = await refusedReports();
    await new Promise((r) => setTimeout(r, 500));
    expect(await refusedReports()).toBe(refused);
  });

  it("refuses a replica token's report of a position it does not hold, and confirms nothing without the proof", async () => {
    const primary = await start();
    const written = await writeWhile(primary, 'CREATE TABLE t (x)', async (position) => {
      const pos = Position.parse(position);
      const refusals = [
        report(position, { proof: '00000000' }),
        report(position, { proof: 'deadbeef' }),
        report(new Position(pos.txid, pos.checksum ^ 1n).toString()),
        report(new Position(pos.txid + 1n, pos.checksum).toString()),
      ];
      for (const body of refusals) {
        const answer = await call(primary.url, '/v1/ack', body, REPLICA);
        expect(answer.status, JSON.stringify(body)).toBe(409);
        expect(answer.body.error.code).toBe('ACK_REFUSED');
      }
      // Without a proof a report is only listed: the position alone confirms nothing.
      expect((await call(primary.url, '/v1/ack', report(position), REPLICA)).status).toBe(200);
      expect((await call(primary.url, '/v1/ack', report(position, { proof: 'xyz' }), REPLICA)).status).toBe(400);
      const listed = (await call(primary.url, '/status', undefined, WRITE)).body.replicas;
      expect(listed.map((r: { name: string }) => r.name)).toEqual(['forger']);
    });
    expect(written.status).toBe(503);
    expect(written.body.error.code).toBe('QUORUM_TIMEOUT');
  });

  it('acknowledges quorum writes once a follower with a replica token has them', async () => {
    const primary = await start();
    const follower = follow(primary, 'replica', REPLICA);
    await follower.ready();
    for (let i = 0; i < 10; i++) {
      const answer = await call(
        primary.url,
        '/v1/execute',
        { sql: i === 0 ? 'CREATE TABLE t (x)' : `INSERT INTO t VALUES (${i})` },
        WRITE,
      );
      expect(answer.status).toBe(200);
      expect(follower.position().txid).toBeGreaterThanOrEqual(Position.parse(answer.body.position).txid);
    }
    // A replica token reads (log, snapshot, statements) but does not write.
    expect((await call(primary.url, '/v1/execute', { sql: 'SELECT count(*) FROM t' }, REPLICA)).status).toBe(200);
    expect((await call(primary.url, '/v1/execute', { sql: 'INSERT INTO t VALUES (0)' }, REPLICA)).status).toBe(403);
  });

  it("lets a replica bootstrapped from a snapshot confirm the snapshot's position with the snapshot's proof", async () => {
    const primary = await start();
    const written = await writeWhile(primary, 'CREATE TABLE t (x)', async (position) => {
      const snapshot = await fetch(`${primary.url}/v1/snapshot`, { headers: { authorization: `Bearer ${REPLICA}` } });
      expect(snapshot.headers.get('x-wasmlite-position')).toBe(position);
      const proof = snapshot.headers.get('x-wasmlite-proof')!;
      await snapshot.arrayBuffer();
      expect(proof).toMatch(/^[0-9a-f]{8}$/);
      expect((await call(primary.url, '/v1/ack', report(position, { proof }), REPLICA)).status).toBe(200);
    });
    expect(written.status).toBe(200);
  });
});
