import { beforeEach, describe, expect, it } from 'vitest';
import { open, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let db: Database;
const BUSY = 'This database connection is busy executing a query';

let probe: () => unknown = () => undefined;

beforeEach(async () => {
  db = tmp.track(await open(':memory:'));
  db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
  db.function('probe', () => {
    probe();
    return 0;
  });
});

/** Runs `use` inside a user function, during a statement's step; returns what it threw. */
function insideFunction(use: () => unknown): unknown {
  let caught: unknown = 'nothing was thrown';
  probe = () => {
    try {
      use();
    } catch (error) {
      caught = error;
    }
  };
  db.prepare('SELECT probe()').get();
  return caught;
}

function expectBusy(error: unknown): void {
  expect(error).toBeInstanceOf(TypeError);
  expect((error as Error).message).toBe(BUSY);
}

let insert: ReturnType<Database['prepare']>;
beforeEach(() => {
  insert = db.prepare('INSERT INTO t VALUES (9)');
});

describe('inside a user function (the connection is busy)', () => {
  const other = () => db.prepare('SELECT count(*) FROM t').pluck();
  it.each<[string, () => unknown]>([
    ['exec()', () => db.exec('INSERT INTO t VALUES (9)')],
    ['prepare()', () => db.prepare('SELECT 1')],
    ['run() of another statement', () => insert.run()],
    ['pragma()', () => db.pragma('user_version = 5')],
    ['close()', () => db.close()],
    ['function()', () => db.function('another', () => 1)],
    ['aggregate()', () => db.aggregate('another', { step: () => 1 })],
    ['table()', () => db.table('another', { columns: ['x'], *rows() {} })],
    ['serialize()', () => db.serialize()],
  ])("refuses %s with better-sqlite3's TypeError, and it has no effect", (_, use) => {
    expectBusy(insideFunction(use));
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
  });

  it('refuses statements prepared before: get(), all(), iterate(), bind(), pluck(), columns()', () => {
    const stmt = other();
    for (const use of [
      () => stmt.get(),
      () => stmt.all(),
      () => stmt.iterate(),
      () => stmt.bind(),
      () => stmt.pluck(),
      () => stmt.columns(),
    ]) {
      expectBusy(insideFunction(use));
    }
    expect(stmt.get()).toBe(3);
  });

  it('refuses next() and return() of an open iterator', () => {
    const rows = db.prepare('SELECT x FROM t').pluck().iterate();
    expect(rows.next().value).toBe(1);
    expectBusy(insideFunction(() => rows.next()));
    expectBusy(insideFunction(() => rows.return!()));
    expect([...rows]).toEqual([2, 3]);
  });
});

describe('while an iterator is open', () => {
  it('lets other statements read, and refuses writes, exec(), pragma(), function() and close()', () => {
    const insert = db.prepare('INSERT INTO t VALUES (9)');
    const count = db.prepare('SELECT count(*) FROM t').pluck();
    const rows = db.prepare('SELECT x FROM t').pluck().iterate();
    rows.next();
    expect(count.get()).toBe(3);
    expect(count.all()).toEqual([3]);
    for (const use of [
      () => insert.run(),
      () => db.exec('SELECT 1'),
      () => db.pragma('cache_size'),
      () => db.function('f', () => 1),
      () => db.close(),
    ]) {
      expectBusy(thrown(use));
    }
    rows.return!();
    expect(insert.run().changes).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
  });

  it('marks its statement busy until it ends, however it ends', () => {
    const stmt = db.prepare('SELECT x FROM t').pluck();
    expect(stmt.busy).toBe(false);
    const rows = stmt.iterate();
    expect(stmt.busy).toBe(true);
    expect([...rows]).toEqual([1, 2, 3]);
    expect(stmt.busy).toBe(false);
    stmt.iterate().return!();
    expect(stmt.busy).toBe(false);
    db.function('boom', (x) => {
      throw new Error(`boom ${String(x)}`);
    });
    const failing = db.prepare('SELECT boom(x) FROM t');
    expect(() => [...failing.iterate()]).toThrow('boom');
    expect(failing.busy).toBe(false);
    db.exec('DELETE FROM t');
  });

  it('allows writes in unsafeMode(), and refuses them again after unsafeMode(false)', () => {
    const insert = db.prepare('INSERT INTO t VALUES (9)');
    db.unsafeMode();
    for (const x of db.prepare('SELECT x FROM t WHERE x < 9').pluck().iterate()) insert.run();
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(6);
    db.unsafeMode(false);
    const rows = db.prepare('SELECT x FROM t').iterate();
    rows.next();
    expectBusy(thrown(() => insert.run()));
    rows.return!();
  });

  it('still refuses close() in unsafeMode()', () => {
    db.unsafeMode();
    const rows = db.prepare('SELECT x FROM t').iterate();
    rows.next();
    expectBusy(thrown(() => db.close()));
    rows.return!();
    db.close();
    expect(db.open).toBe(false);
  });
});
