import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OwnerLockError } from '../../../core/vfs/index.ts';
import { databaseChecksum, TransactionLog } from '../../../replication/log/index.ts';
import { PageStore, scriptedCommit } from './records.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { runUntilKilled } from '../../support/run-until-killed.ts';

const appender = path.join(import.meta.dirname, 'crash-appender.ts');
const ROUNDS = 12;
const SEGMENT_SIZE = 1024 * 1024;

/**
 * Runs the appender until it has reported appends, calls `whileRunning` once, kills it with
 * SIGKILL after `killAfterMs`; returns the txids it reported.
 */
async function appendThenKill(
  dir: string,
  killAfterMs: number,
  whileRunning?: () => void,
  mode = 'single',
): Promise<bigint[]> {
  const run = await runUntilKilled(appender, [dir, String(SEGMENT_SIZE), mode], {
    prefix: 'appended ',
    killAfterMs,
    onFirst: whileRunning,
  });
  if (!run.killed) throw new Error('the appender stopped before it was killed');
  return run.reported.map(BigInt);
}

describe('an appender killed with SIGKILL', () => {
  const temp = useTempDir();

  it.each([
    ['append', 'single', ROUNDS],
    ['sync group (appendGroup, 1 to 4 records)', 'groups', ROUNDS / 2],
  ])(`keeps every reported %s, valid and in order, over repeated kills`, async (_name, mode, rounds) => {
    const reported = new Set<bigint>();
    let recoveries = 0;
    for (let round = 0; round < rounds; round++) {
      // Vary the moment of the kill so that it lands in different phases of an append.
      for (const txid of await appendThenKill(temp.dir, 15 + ((round * 41) % 160), undefined, mode)) {
        reported.add(txid);
      }

      const log = TransactionLog.open(temp.dir);
      try {
        if (log.recovery !== undefined) recoveries++;
        const last = log.lastPosition();
        expect(last).toBeDefined();
        // Replay the whole log as a replica would: every record verified, continuing the one
        // before, and exactly what the scripted history says it should be.
        const replica = new PageStore(8192);
        const script = new PageStore(8192);
        for (const record of log.readFrom(1n)) {
          replica.apply(record);
          const expected = scriptedCommit(script);
          expect(record.txid).toBe(expected.txid);
          expect(record.postChecksum).toBe(expected.postChecksum);
          expect(record.pages.map((p) => p.pgno)).toEqual(expected.pages.map((p) => p.pgno));
        }
        expect(replica.txid).toBe(last!.txid);
        expect(replica.checksum).toBe(last!.checksum);
        expect(databaseChecksum(replica.bytes(), { pageSize: 8192 })).toBe(last!.checksum);
        const lost = [...reported].filter((txid) => txid > last!.txid);
        expect(lost).toEqual([]);
      } finally {
        log.close();
      }
    }
    expect(reported.size).toBeGreaterThan(rounds);
    expect(fs.readdirSync(temp.dir).filter((name) => name.endsWith('.wlog')).length).toBeGreaterThan(1);
    console.log(`${reported.size} ${mode} appends reported, ${recoveries} torn tails recovered over ${rounds} kills`);
  });

  it('keeps a second process out while one has the log open', async () => {
    let thrown: unknown;
    await appendThenKill(temp.dir, 10, () => {
      try {
        TransactionLog.open(temp.dir).close();
      } catch (error) {
        thrown = error;
      }
    });
    expect(thrown).toBeInstanceOf(OwnerLockError);
    // Once the owner is dead, its lock is taken over.
    TransactionLog.open(temp.dir).close();
  });
});
