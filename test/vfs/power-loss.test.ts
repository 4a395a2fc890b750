import { describe, expect, it } from 'vitest';
import { loadEngine, type Engine } from '../../core/sqlite3/engine.ts';
import type { MemoryFilesystem } from '../../core/vfs/memory-filesystem.ts';
import { MemoryVfs } from '../../core/vfs/memory-vfs.ts';
import { SqliteVfs } from '../../core/vfs/sqlite-vfs.ts';
import { openDb, type Oo1Db } from '../support/oo1.ts';
import { PowerLossFilesystem } from '../support/power-loss-filesystem.ts';
import { seededRandom } from '../support/seeded-random.ts';

const CUTS_PER_MODE = 60;
const TRANSACTIONS = 12;
const ROWS_PER_TRANSACTION = 30;
const SEED = Number(process.env.WASMLITE_SEED ?? Date.now() % 1_000_000);

let vfsCounter = 0;

interface Run {
  operations: number;
  /** Transactions whose COMMIT returned (0 = only the schema; -1 = not even that). */
  committed: number;
  image: MemoryFilesystem;
}

/**
 * Creates a database and commits TRANSACTIONS transactions (each updates, deletes and inserts
 * rows tagged with its number), on a file system that loses power after `cutAfter` operations.
 */
function workload(
  engine: Engine,
  mode: string,
  synchronous: string,
  cutAfter: number,
  random: () => number,
  keepSome: boolean,
): Run {
  const fs = new PowerLossFilesystem({ cutAfter, keepSomeUnsyncedWrites: keepSome, random });
  fs.mkdir('/data');
  const vfs = new SqliteVfs(engine, fs, { name: `wasmlite-power-loss-${++vfsCounter}` });
  let committed = -1;
  let db: Oo1Db | undefined;
  try {
    db = openDb(engine, '/data/app.db', vfs.name);
    // A tiny cache and autocheckpoint make transactions spill and checkpoints run mid-workload.
    db.exec(
      `PRAGMA journal_mode = ${mode}; PRAGMA synchronous = ${synchronous}; PRAGMA cache_size = 5; PRAGMA ` +
        `wal_autocheckpoint = 10`,
    );
    db.exec('CREATE TABLE t (txn INTEGER, i INTEGER, pad BLOB)');
    committed = 0;
    for (let k = 1; k <= TRANSACTIONS; k++) {
      db.exec(`BEGIN;
        UPDATE t SET pad = randomblob(200) WHERE txn = ${k - 1};
        DELETE FROM t WHERE txn = ${k - 3} AND i % 2 = 0;
        INSERT INTO t SELECT ${k}, value, randomblob(400)
          FROM (WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s
            WHERE value < ${ROWS_PER_TRANSACTION}) SELECT value FROM s);
        COMMIT`);
      committed = k;
    }
  } catch {
    // The power went out: every file operation now fails.
  } finally {
    try {
      db?.close();
    } catch {
      // Closing after the cut fails too; the connection is gone either way.
    }
  }
  vfs.unregister();
  // A cut after the very last operation leaves what a cut right now would.
  return { operations: fs.operations, committed, image: fs.image ?? fs.cutPower() };
}

/** Reopens the durable image; returns the integrity check and which transactions are there. */
function inspect(engine: Engine, image: MemoryFilesystem): { integrity: unknown; last: number; complete: boolean } {
  const vfs = MemoryVfs.create(engine, undefined, image);
  const db = openDb(engine, '/data/app.db', vfs.name);
  try {
    const integrity = db.selectValue('PRAGMA integrity_check');
    const hasTable = db.selectValue("SELECT count(*) FROM sqlite_schema WHERE name = 't'") === 1;
    if (!hasTable) return { integrity, last: -1, complete: true };
    const counts = db.selectArrays('SELECT txn, count(*) FROM t GROUP BY txn ORDER BY txn') as [number, number][];
    const last = counts.length === 0 ? 0 : counts.at(-1)![0];
    // Each transaction's rows are all there (less the even ones deleted by transaction txn+3).
    const complete = counts.every(
      ([txn, n]) => n === (txn <= last - 3 ? ROWS_PER_TRANSACTION / 2 : ROWS_PER_TRANSACTION),
    );
    return { integrity, last, complete };
  } finally {
    db.close();
    vfs.unregister();
  }
}

const MODES = [
  { mode: 'wal', synchronous: 'full' },
  { mode: 'delete', synchronous: 'extra' },
  { mode: 'truncate', synchronous: 'full' },
  { mode: 'persist', synchronous: 'full' },
  // SQLite itself syncs the directory after deleting the journal only at EXTRA; wasmlite's VFS
  // does it at FULL too, so that no returned commit is rolled back by a resurrected journal.
  { mode: 'delete', synchronous: 'full' },
];

describe('power loss', () => {
  for (const { mode, synchronous } of MODES) {
    const setting = `${mode.toUpperCase()} database at synchronous=${synchronous.toUpperCase()}`;
    it(`keeps a ${setting} intact with every commit that returned (seed ${SEED})`, async () => {
      const engine = await loadEngine();
      const random = seededRandom(SEED);
      const { operations } = workload(engine, mode, synchronous, Infinity, random, false);
      for (let i = 0; i < CUTS_PER_MODE; i++) {
        const cutAfter = 1 + Math.floor(random() * operations);
        const keepSome = i % 2 === 1;
        const run = workload(engine, mode, synchronous, cutAfter, random, keepSome);
        const where =
          `cut after ${cutAfter} of ${operations} ` + `operations${keepSome ? ', some unsynced writes kept' : ''}`;
        const found = inspect(engine, run.image);
        expect(found.integrity, where).toBe('ok');
        expect(found.complete, where).toBe(true);
        // What is there is a prefix of the transactions: all that returned, maybe the one in flight.
        expect(found.last, where).toBeGreaterThanOrEqual(run.committed);
        expect(found.last, where).toBeLessThanOrEqual(run.committed + 1);
      }
    });
  }
});
