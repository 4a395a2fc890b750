import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClientError, createClient, open, LibsqlError } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection } from '../database/thrown.ts';

const tmp = useTempDir();

describe('client.executeMultiple()', () => {
  it('runs several statements separated by semicolons', async () => {
    const client = tmp.track(createClient({ url: ':memory:' }));
    const result = await client.executeMultiple(`
      CREATE TABLE t (x);
      INSERT INTO t VALUES (1);
      INSERT INTO t VALUES (2);
    `);
    expect(result).toBeUndefined();
    expect((await client.execute('SELECT sum(x) AS s FROM t')).rows[0]!.s).toBe(3);
  });

  it('stops at the first failing statement with a LibsqlError, keeping the earlier ones', async () => {
    const client = tmp.track(createClient({ url: ':memory:' }));
    const error = await rejection(
      client.executeMultiple('CREATE TABLE t (x); INSERT INTO t VALUES (1); SELEC; INSERT INTO t VALUES (2)'),
    );
    expect(error).toBeInstanceOf(LibsqlError);
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
  });

  it('rejects a non-string with a TypeError', async () => {
    const client = tmp.track(createClient({ url: ':memory:' }));
    expect(await rejection(client.executeMultiple(1 as never))).toBeInstanceOf(TypeError);
  });
});

describe('client.sync()', () => {
  it('resolves locally without a syncUrl', async () => {
    const client = tmp.track(createClient({ url: ':memory:' }));
    await expect(client.sync()).resolves.toBeUndefined();
  });
});

describe('client.close()', () => {
  it('marks the client closed and rejects later calls with ClientError CLIENT_CLOSED', async () => {
    const client = tmp.track(createClient({ url: ':memory:' }));
    await client.execute('SELECT 1');
    client.close();
    expect(client.closed).toBe(true);
    for (const call of [
      () => client.execute('SELECT 1'),
      () => client.batch(['SELECT 1']),
      () => client.transaction(),
      () => client.executeMultiple('SELECT 1'),
      () => client.sync(),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(ClientError);
      expect(error.code).toBe('CLIENT_CLOSED');
    }
  });

  it('may be called twice, and before the first call', async () => {
    const client = tmp.track(createClient({ url: ':memory:' }));
    client.close();
    client.close();
    expect((await rejection(client.execute('SELECT 1'))).code).toBe('CLIENT_CLOSED');
  });

  it('keeps what was committed and releases the file for another connection', async () => {
    const file = tmp.file();
    const client = tmp.track(createClient({ url: pathToFileURL(file).href }));
    await client.batch(['CREATE TABLE t (x)', 'INSERT INTO t VALUES (1)']);
    client.close();
    const db = tmp.track(await open(file, { timeout: 0 }));
    db.exec('INSERT INTO t VALUES (2)');
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
  });

  it('rolls back an open transaction, whose calls and waiting callers then reject with CLIENT_CLOSED', async () => {
    const file = tmp.file();
    const client = tmp.track(createClient({ url: pathToFileURL(file).href }));
    await client.execute('CREATE TABLE t (x)');
    const tx = await client.transaction();
    await tx.execute('INSERT INTO t VALUES (1)');
    const waiting = client.execute('SELECT count(*) FROM t');
    client.close();
    expect((await rejection(waiting)).code).toBe('CLIENT_CLOSED');
    const error = await rejection(tx.execute('SELECT 1'));
    expect(error).toBeInstanceOf(ClientError);
    expect(error.code).toBe('CLIENT_CLOSED');
    const db = tmp.track(await open(file));
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
  });
});

describe('a database that cannot be opened', () => {
  it('does not throw from createClient, and rejects the first call with the LibsqlError', async () => {
    const client = tmp.track(createClient({ url: pathToFileURL(tmp.dir).href }));
    const error = await rejection(client.execute('SELECT 1'));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.code).toMatch(/^SQLITE_CANTOPEN/);
  });

  it('rejects every later call with the same error', async () => {
    const client = tmp.track(createClient({ url: pathToFileURL(path.join(tmp.dir, 'no', 'such', 'dir.db')).href }));
    const first = await rejection(client.execute('SELECT 1'));
    expect(first).toBeInstanceOf(LibsqlError);
    expect(await rejection(client.batch(['SELECT 1']))).toBe(first);
    expect(await rejection(client.transaction())).toBe(first);
  });

  it('rejects with SQLITE_NOTADB for a file that is not a database, leaving it unchanged', async () => {
    const file = tmp.file('notes.txt');
    fs.writeFileSync(file, 'just some text\n'.repeat(100));
    const before = fs.readFileSync(file);
    const client = tmp.track(createClient({ url: pathToFileURL(file).href }));
    expect((await rejection(client.execute('SELECT 1'))).code).toBe('SQLITE_NOTADB');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});
