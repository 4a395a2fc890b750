import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { HttpPrimaryFeed, ReplicaFollower, startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from '../primary/http.ts';

const SEGMENT_HEADER_SIZE = 48;
const FRAME_HEADER_SIZE = 28;

/**
 * Flips one bit of record `txid` in its segment file under `logDir`: in the middle of its page
 * data, or with `inHeader` in its header (its `epoch` field).
 */
function damageRecord(logDir: string, txid: bigint, inHeader = false): void {
  for (const name of fs
    .readdirSync(logDir)
    .filter((n) => n.endsWith('.wlog'))
    .sort()) {
    const file = path.join(logDir, name);
    const bytes = fs.readFileSync(file);
    for (let at = SEGMENT_HEADER_SIZE; at < bytes.length;) {
      const length = Number(bytes.readBigUInt64BE(at + 16));
      if (bytes.readBigUInt64BE(at + 8) === txid) {
        const target = at + FRAME_HEADER_SIZE + (inHeader ? 40 : Math.floor(length / 2));
        const fd = fs.openSync(file, 'r+');
        try {
          fs.writeSync(fd, Buffer.from([bytes[target]! ^ 0x04]), 0, 1, target);
        } finally {
          fs.closeSync(fd);
        }
        return;
      }
      at += FRAME_HEADER_SIZE + length;
    }
  }
  throw new Error(`no record ${txid} in ${logDir}`);
}

async function checkpointed(file: string): Promise<Buffer> {
  const db = await open(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return fs.readFileSync(file);
}

describe("a damaged record in the primary's log", () => {
  const temp = useTempDir();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const primaryFile = (): string => path.join(temp.dir, 'primary.db');

  async function start(port = 0, messages: string[] = []): Promise<Primary> {
    const primary = await startPrimary({ path: primaryFile(), port, heartbeatMs: 100, log: (m) => messages.push(m) });
    cleanups.push(() => primary.close());
    return primary;
  }

  async function insert(primary: Primary, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      expect(
        (await call(primary.url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (randomblob(300))' })).status,
      ).toBe(200);
    }
  }

  function follow(primary: Primary, name: string, messages: string[]): ReplicaFollower {
    const follower = ReplicaFollower.start({
      path: path.join(temp.dir, `${name}.db`),
      feed: new HttpPrimaryFeed({ syncUrl: primary.url }),
      name,
      log: (m) => messages.push(m),
      minBackoffMs: 20,
    });
    cleanups.push(() => follower.close());
    return follower;
  }

  it('is found at start-up and reported; a replica below it re-bootstraps and converges, one above it is unaffected', async () => {
    let primary = await start();
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)' });
    await insert(primary, 10);
    const below: string[] = [];
    let a = follow(primary, 'a', below);
    await a.sync();
    await a.close();
    expect(a.position().txid).toBe(11n);
    await insert(primary, 10);
    const above: string[] = [];
    const b = follow(primary, 'b', above);
    await b.sync();
    let replaced = 0;
    b.onReplace(() => replaced++);
    const port = Number(new URL(primary.url).port);
    await primary.close();

    damageRecord(`${primaryFile()}-log`, 14n);
    damageRecord(`${primaryFile()}-log`, 15n);
    const said: string[] = [];
    primary = await start(port, said);
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(/log record 14 is damaged .*checksum mismatch.*snapshot/);
    expect(said[1]).toMatch(/log record 15 is damaged/);
    // The first request may meet a keep-alive socket of the stopped server: ask again then.
    const health = await call(primary.url, '/health').catch(() => call(primary.url, '/health'));
    expect(health.status).toBe(200);
    expect(health.body.logDamage).toMatchObject({ firstTxid: '14', lastTxid: '15', records: 2 });
    expect((await call(primary.url, '/status')).body.logDamage).toMatchObject({
      firstTxid: '14',
      lastTxid: '15',
      records: 2,
    });
    expect(await (await fetch(`${primary.url}/metrics`)).text()).toMatch(/^wasmlite_log_damaged_records 2$/m);
    const refused = await call(primary.url, '/v1/log?from=12');
    expect(refused.status).toBe(410);
    expect(refused.body.error).toMatchObject({ code: 'LOG_DAMAGED', firstTxid: '16' });

    await insert(primary, 5);
    a = follow(primary, 'a', below);
    await Promise.all([a.sync(), b.sync()]);
    expect(below.some((m) => /re-bootstrapping from a snapshot/.test(m))).toBe(true);
    // B was past the damage: it reconnected and went on from where it was.
    expect(above.some((m) => /snapshot/.test(m))).toBe(false);
    expect(replaced).toBe(0);
    expect(a.position().toString()).toBe(primary.position().toString());
    expect(b.position().toString()).toBe(primary.position().toString());

    await a.close();
    await b.close();
    await primary.close();
    const bytes = await checkpointed(primaryFile());
    expect((await checkpointed(path.join(temp.dir, 'a.db'))).equals(bytes)).toBe(true);
    expect((await checkpointed(path.join(temp.dir, 'b.db'))).equals(bytes)).toBe(true);
  });

  it('is found when a log stream reads it, and the replica that needed it gets a snapshot', async () => {
    const said: string[] = [];
    const primary = await start(0, said);
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)' });
    const messages: string[] = [];
    let a = follow(primary, 'a', messages);
    await a.sync();
    await a.close();
    await insert(primary, 10);
    expect((await call(primary.url, '/health')).body.logDamage).toBeUndefined();
    // Damaged on disk under the running primary: nothing has read it since.
    damageRecord(`${primaryFile()}-log`, 5n);
    a = follow(primary, 'a', messages);
    await a.sync();
    expect(a.position().toString()).toBe(primary.position().toString());
    expect(said.filter((m) => /log record 5 is damaged/.test(m))).toHaveLength(1);
    expect((await call(primary.url, '/health')).body.logDamage).toMatchObject({ firstTxid: '5', lastTxid: '5' });
    expect(messages.some((m) => /re-bootstrapping from a snapshot/.test(m))).toBe(true);
  });

  it('in the last record stops start-up with an error that says how to recover', async () => {
    let primary = await start();
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)' });
    await insert(primary, 5);
    const dbId = (await call(primary.url, '/status')).body.dbId;
    await primary.close();
    const logDir = `${primaryFile()}-log`;
    damageRecord(logDir, 6n);

    const error = await startPrimary({ path: primaryFile(), log: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('LogCorruptionError');
    expect((error as Error).message).toMatch(/last record \(txid 6\) is damaged, yet the database has it/);
    expect((error as Error).message).toMatch(/move that directory aside/);

    // Doing what it says: a new log and identity, the database as it was.
    fs.renameSync(logDir, `${logDir}.damaged`);
    primary = await start();
    const status = (await call(primary.url, '/status')).body;
    expect(status.dbId).not.toBe(dbId);
    expect((await call(primary.url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows).toEqual([[5]]);
    await insert(primary, 1);
    expect((await call(primary.url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows).toEqual([[6]]);
  });

  it('in a header of an older segment: the segments up to it are set aside and reported, the replica below re-bootstraps', async () => {
    const file = primaryFile();
    let primary = await startPrimary({ path: file, logSegmentBytes: 4096, heartbeatMs: 100 });
    cleanups.push(() => primary.close());
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)' });
    const messages: string[] = [];
    let a = follow(primary, 'a', messages);
    await a.sync();
    await a.close();
    await insert(primary, 8);
    await primary.close();
    const logDir = `${file}-log`;
    // Every record is a segment of its own: record 5 is in a sealed segment, record 9 in the last.
    damageRecord(logDir, 5n, true);

    const said: string[] = [];
    primary = await startPrimary({ path: file, logSegmentBytes: 4096, heartbeatMs: 100, log: (m) => said.push(m) });
    cleanups.push(() => primary.close());
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /log segments holding txids 1\.\.5 are damaged \(corrupt log record: header checksum mismatch.*set aside as .*0000000000000005\.wlog\.damaged/,
    );
    const status = (await call(primary.url, '/status')).body;
    expect(status.logFirstTxid).toBe('6');
    expect(status.logDamage).toMatchObject({ records: 0, setAside: { firstTxid: '1', lastTxid: '5' } });
    expect(status.logDamage.setAside.files).toHaveLength(5);
    expect((await call(primary.url, '/health')).body.logDamage.setAside.message).toMatch(/header checksum mismatch/);
    // Nothing is deleted: the files are there to inspect.
    expect(fs.readdirSync(logDir).filter((n) => n.endsWith('.wlog.damaged'))).toHaveLength(5);

    await insert(primary, 2);
    a = follow(primary, 'a', messages);
    await a.sync();
    expect(messages.some((m) => /compacted past txid 2: re-bootstrapping/.test(m))).toBe(true);
    expect(a.position().toString()).toBe(primary.position().toString());
    await a.close();
    await primary.close();
    const bytes = await checkpointed(file);
    expect((await checkpointed(path.join(temp.dir, 'a.db'))).equals(bytes)).toBe(true);

    // Record 11 is the last segment's last frame: opening the log cuts it as a torn append.
    damageRecord(logDir, 11n, true);
    const inLast = (await startPrimary({ path: file, logSegmentBytes: 4096, log: () => {} }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(inLast.name).toBe('LogCorruptionError');
    expect(inLast.message).toMatch(
      /last frame \(txid 11\) was cut off as a torn append .*yet the database is past the log.*To recover, .*move that directory aside/,
    );
  });
});
