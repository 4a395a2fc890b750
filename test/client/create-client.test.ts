import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClientError, createClient, open } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from '../database/thrown.ts';

const tmp = useTempDir();

describe('createClient({ url })', () => {
  it('opens file:relative.db relative to the working directory', async () => {
    const file = tmp.file('rel.db');
    const client = tmp.track(createClient({ url: `file:${path.relative(process.cwd(), file)}` }));
    await client.execute('CREATE TABLE t (x)');
    expect(fs.existsSync(file)).toBe(true);
    expect(client.protocol).toBe('file');
    expect(client.closed).toBe(false);
  });

  it('opens file:///absolute.db', async () => {
    const file = tmp.file('abs.db');
    const client = tmp.track(createClient({ url: pathToFileURL(file).href }));
    await client.execute('CREATE TABLE t (x)');
    await client.execute("INSERT INTO t VALUES ('via url')");
    client.close();
    const db = tmp.track(await open(file));
    expect(db.prepare('SELECT x FROM t').pluck().get()).toBe('via url');
  });

  it('opens file:/absolute/path.db (one slash)', async () => {
    const file = tmp.file('one-slash.db');
    const client = tmp.track(createClient({ url: `file:${file}` }));
    await client.execute('CREATE TABLE t (x)');
    expect(fs.existsSync(file)).toBe(true);
  });

  it('decodes percent-escapes in a file URL path', async () => {
    const file = tmp.file('with space.db');
    const client = tmp.track(createClient({ url: pathToFileURL(file).href }));
    await client.execute('CREATE TABLE t (x)');
    expect(fs.existsSync(file)).toBe(true);
  });

  it("accepts libSQL's tls and authToken query parameters on a file URL", async () => {
    const file = tmp.file('q.db');
    const client = tmp.track(createClient({ url: `${pathToFileURL(file).href}?tls=0&authToken=x` }));
    await client.execute('CREATE TABLE t (x)');
    expect(fs.existsSync(file)).toBe(true);
  });

  it('accepts file::memory: with a cache parameter', async () => {
    const client = tmp.track(createClient({ url: 'file::memory:?cache=private' }));
    expect((await client.execute('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });

  it('opens a private in-memory database for :memory:', async () => {
    const a = tmp.track(createClient({ url: ':memory:' }));
    const b = tmp.track(createClient({ url: ':memory:' }));
    await a.execute('CREATE TABLE only_a (x)');
    expect((await b.execute("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'only_a'")).rows[0]!.n).toBe(0);
    expect((await a.execute("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'only_a'")).rows[0]!.n).toBe(1);
  });

  it('uses WAL for a file database', async () => {
    const client = tmp.track(createClient({ url: pathToFileURL(tmp.file()).href }));
    expect((await client.execute('PRAGMA journal_mode')).rows[0]![0]).toBe('wal');
  });
});

describe('createClient() with a URL it cannot use', () => {
  it.each([
    ['http://example.com/db', 'URL_SCHEME_NOT_SUPPORTED'],
    ['https://example.com/db', 'URL_SCHEME_NOT_SUPPORTED'],
    ['libsql://my-db.turso.io', 'URL_SCHEME_NOT_SUPPORTED'],
    ['ws://localhost:8080', 'URL_SCHEME_NOT_SUPPORTED'],
    ['plain/path.db', 'URL_SCHEME_NOT_SUPPORTED'],
    ['', 'URL_INVALID'],
    ['file:', 'URL_INVALID'],
    ['file:%', 'URL_INVALID'],
    ['file://remote-host/x.db', 'URL_INVALID'],
    ['file:x.db?mode=rwc', 'URL_PARAM_NOT_SUPPORTED'],
    ['ws://localhost?foo=bar', 'URL_PARAM_NOT_SUPPORTED'],
    ['file::memory:?tls=0', 'URL_PARAM_NOT_SUPPORTED'],
    ['file::memory:?cache=none', 'URL_INVALID'],
    ['libsql://localhost?tls=yes', 'URL_INVALID'],
    ['libsql://localhost?tls=0', 'URL_INVALID'],
    ['ws://localhost?tls=1', 'URL_INVALID'],
    ['https://localhost?tls=0', 'URL_INVALID'],
    ['file:x.db#part', 'URL_INVALID'],
    ['libsql://localhost:8080?tls=0', 'URL_SCHEME_NOT_SUPPORTED'],
  ])('throws a ClientError for %j with code %s', (url, code) => {
    const error = thrown(() => createClient({ url }));
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ClientError');
    expect(error.code).toBe(code);
  });

  it('refuses offline writes with NOT_SUPPORTED, saying writes fail fast instead', () => {
    const error = thrown(() => createClient({ url: ':memory:', offline: true as never }));
    expect(error).toBeInstanceOf(ClientError);
    expect(error.code).toBe('NOT_SUPPORTED');
    expect(error.message).toMatch(/offline writes are not supported.*PRIMARY_UNAVAILABLE/);
    createClient({ url: ':memory:', offline: false }).close();
  });

  it('throws a ClientError URL_INVALID for a missing url', () => {
    expect(thrown(() => createClient({} as never)).code).toBe('URL_INVALID');
  });

  // A replica of :memory: is accepted now (issue 11; it was refused with URL_INVALID here):
  // test/replication/replica-client/libsql-conformance.test.ts covers it.
  it('throws a TypeError at once for a bad replica option, before loading replication', () => {
    expect(
      thrown(() => createClient({ url: 'file:x.db', syncUrl: 'http://primary:8080', readYourWritesTimeout: -1 })),
    ).toBeInstanceOf(TypeError);
  });

  it('throws a TypeError for a bad timeout, with the one wording', () => {
    const error = thrown(() => createClient({ url: ':memory:', timeout: -1 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Expected the "timeout" option to be a positive integer');
  });

  it('throws a TypeError for a bad intMode or a missing config', () => {
    expect(() => createClient({ url: ':memory:', intMode: 'float' as never })).toThrow(TypeError);
    expect(() => createClient(undefined as never)).toThrow(TypeError);
  });

  it('does not create a file for a config it rejects', () => {
    const file = tmp.file('never.db');
    expect(() => createClient({ url: `file:${file}`, intMode: 'float' as never })).toThrow(TypeError);
    expect(() => createClient({ url: `file:${file}`, syncUrl: 'http://x', onReplicaLag: 'wait' as never })).toThrow(
      TypeError,
    );
    expect(() => createClient({ url: `file:${file}`, offline: true as never })).toThrow(ClientError);
    expect(fs.existsSync(file)).toBe(false);
  });
});
