import { describe, expect, it } from 'vitest';
import { open } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection } from './thrown.ts';

const tmp = useTempDir();

describe('the verbose option', () => {
  it('is called with the SQL of every statement run, parameters expanded, and nothing from opening', async () => {
    const calls: unknown[][] = [];
    const db = tmp.track(
      await open(tmp.file('v.db'), {
        verbose(this: unknown, ...args: unknown[]) {
          calls.push([this, ...args]);
        },
      }),
    );
    const select = db.prepare('SELECT ?');
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    select.get(10n);
    select.all('ten');
    select.iterate(20).return!();
    for (const _ of select.iterate(25)) void _;
    db.pragma('cache_size');
    db.prepare('INSERT INTO t VALUES (?)').run(2.5);
    expect(calls).toEqual([
      [undefined, 'CREATE TABLE t (x);'],
      [undefined, ' INSERT INTO t VALUES (1)'], // as SQLite keeps the statement's text
      [undefined, 'SELECT 10'],
      [undefined, "SELECT 'ten'"],
      [undefined, 'SELECT 25.0'],
      [undefined, 'PRAGMA cache_size'],
      [undefined, 'INSERT INTO t VALUES (2.5)'],
    ]);
  });

  it('stops a statement before it runs when it throws', async () => {
    let fail = false;
    const oops = new Error('no');
    const db = tmp.track(
      await open(':memory:', {
        verbose: () => {
          if (fail) throw oops;
        },
      }),
    );
    db.exec('CREATE TABLE t (x)');
    let called = 0;
    db.function('count_call', (x) => (called++, x));
    const insert = db.prepare('INSERT INTO t VALUES (count_call(?))');
    fail = true;
    for (const use of [
      () => db.exec('INSERT INTO t VALUES (count_call(1))'),
      () => insert.run(1),
      () => db.prepare('SELECT count_call(1)').get(),
    ]) {
      expect(use).toThrow(oops);
    }
    expect(() => [...db.prepare('SELECT count_call(1)').iterate()]).toThrow(oops);
    fail = false;
    expect(called).toBe(0);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    insert.run(1);
    expect(called).toBe(1);
  });

  it('must be a function, null or undefined', async () => {
    for (const verbose of [true, 'log', 5, {}]) {
      expect(await rejection(open(':memory:', { verbose } as never))).toBeInstanceOf(TypeError);
    }
    for (const verbose of [null, undefined]) tmp.track(await open(':memory:', { verbose })).exec('SELECT 1');
  });
});
