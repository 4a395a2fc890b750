import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { open } from '../../core/index.ts';
import { runUntilKilled } from '../support/run-until-killed.ts';

const writer = join(import.meta.dirname, 'crash-writer.ts');
const ROUNDS = 20;

/** Runs the writer until it has reported commits, kills it with SIGKILL, returns the ids it reported. */
async function writeThenKill(
  path: string,
  journalMode: string,
  firstId: number,
  killAfterMs: number,
): Promise<number[]> {
  const run = await runUntilKilled(writer, [path, journalMode, String(firstId)], { prefix: 'commit ', killAfterMs });
  if (!run.killed) throw new Error('the writer stopped before it was killed');
  return run.reported.map(Number);
}

describe.each(['wal', 'delete'])('a writer killed with SIGKILL (%s journal)', (journalMode) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlite-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`keeps every reported commit and an intact file over ${ROUNDS} kills`, async () => {
    const path = join(dir, 'crash.db');
    const reported = new Set<number>();
    let nextId = 1;
    for (let round = 0; round < ROUNDS; round++) {
      // Vary the moment of the kill so it lands in different phases of a commit.
      const ids = await writeThenKill(path, journalMode, nextId, 20 + ((round * 37) % 180));
      for (const id of ids) reported.add(id);
      nextId += ids.length + 1000;

      const db = await open(path, { journalMode: journalMode as 'wal' | 'delete' });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const present = new Set(db.prepare('SELECT id FROM commits').pluck().all() as number[]);
        const lost = [...reported].filter((id) => !present.has(id));
        expect(lost).toEqual([]);
      } finally {
        db.close();
      }
    }
    expect(reported.size).toBeGreaterThan(ROUNDS);
  });
});
