import { ColumnTypeEnum, DriverAdapterError, type SqlQuery } from '@prisma/driver-adapter-utils';
import { describe, expect, it } from 'vitest';
import { ClientError, SqliteError } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { PrismaWasmlite, toDriverAdapterError } from '../../../adapters/prisma/index.ts';
import { resultCodeOf } from '../../../adapters/prisma/errors.ts';
import { CLIENT_KINDS, useClients, type ClientKind } from '../support/clients.ts';

const clients = useClients();

const q = (sql: string, args: unknown[] = [], scalarTypes: string[] = []): SqlQuery => ({
  sql,
  args,
  argTypes: args.map((_, i) => ({ scalarType: (scalarTypes[i] ?? 'unknown') as never, arity: 'scalar' })),
});

async function connect(kind: ClientKind) {
  const fixture = await clients.open(kind, { intMode: 'bigint' });
  const adapter = await new PrismaWasmlite(fixture.client).connect();
  return { fixture, adapter };
}

describe.each(CLIENT_KINDS)('the Prisma adapter on a %s client', (kind) => {
  it('reads column types from declared types, and from values for expressions', async () => {
    const { adapter } = await connect(kind);
    await adapter.executeRaw(
      q(`CREATE TABLE t (i INTEGER, b BIGINT, r REAL, f FLOAT, d DECIMAL, s TEXT, v VARCHAR(40), bo BOOLEAN,
      dt DATETIME, da DATE, ti TIME, j JSONB, bl BLOB, odd WHATEVER)`),
    );
    await adapter.executeRaw(
      q(
        "INSERT INTO t VALUES (1, 2, 1.5, 2.5, 3, 's', 'v', 1, '2024-01-01T00:00:00.000+00:00', '2024-01-01', " +
          "'12:00', '{}', x'01', 7)",
      ),
    );
    const rs = await adapter.queryRaw(
      q("SELECT *, 1 AS e_int, 1.5 AS e_real, 'x' AS e_text, x'00' AS e_blob, NULL AS e_null FROM t"),
    );
    expect(rs.columnNames).toEqual([
      'i',
      'b',
      'r',
      'f',
      'd',
      's',
      'v',
      'bo',
      'dt',
      'da',
      'ti',
      'j',
      'bl',
      'odd',
      'e_int',
      'e_real',
      'e_text',
      'e_blob',
      'e_null',
    ]);
    const C = ColumnTypeEnum;
    expect(rs.columnTypes).toEqual([
      C.Int32,
      C.Int64,
      C.Double,
      C.Float,
      C.Numeric,
      C.Text,
      C.Text,
      C.Boolean,
      C.DateTime,
      C.Date,
      C.Time,
      C.Json,
      C.Bytes,
      C.Int64,
      C.Int64,
      C.UnknownNumber,
      C.Text,
      C.Bytes,
      C.Int32,
    ]);
    expect(rs.rows).toEqual([
      [
        1,
        2,
        1.5,
        2.5,
        3,
        's',
        'v',
        1,
        '2024-01-01T00:00:00.000+00:00',
        '2024-01-01',
        '12:00',
        '{}',
        new Uint8Array([1]),
        7,
        1,
        1.5,
        'x',
        new Uint8Array([0]),
        null,
      ],
    ]);
  });

  it('gives integers beyond 2^53 as decimal text and integers in DateTime columns as ISO text', async () => {
    const { adapter } = await connect(kind);
    await adapter.executeRaw(q('CREATE TABLE t (b BIGINT, dt DATETIME)'));
    await adapter.executeRaw(q('INSERT INTO t VALUES (?, ?)', ['9223372036854775807', 86_400_000], ['bigint', 'int']));
    expect((await adapter.queryRaw(q('SELECT b, dt FROM t'))).rows).toEqual([
      ['9223372036854775807', '1970-01-02T00:00:00.000Z'],
    ]);
  });

  it('converts arguments: booleans, dates in the chosen format, base64 and array bytes', async () => {
    const { fixture } = await connect(kind);
    const iso = await new PrismaWasmlite(fixture.client).connect();
    const ms = await new PrismaWasmlite(fixture.client, { timestampFormat: 'unixepoch-ms' }).connect();
    const date = new Date('2024-05-06T07:08:09.010Z');
    const sql = 'SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f';
    const args = [true, date, '2024-05-06T07:08:09.010Z', 'AQID', [4, 5], null];
    const types = ['boolean', 'datetime', 'datetime', 'bytes', 'bytes', 'string'];
    expect((await iso.queryRaw(q(sql, args, types))).rows[0]).toEqual([
      1,
      '2024-05-06T07:08:09.010+00:00',
      '2024-05-06T07:08:09.010+00:00',
      new Uint8Array([1, 2, 3]),
      new Uint8Array([4, 5]),
      null,
    ]);
    expect((await ms.queryRaw(q(sql, args, types))).rows[0]!.slice(1, 3)).toEqual([date.getTime(), date.getTime()]);
  });

  it('reports rows affected and the last inserted id', async () => {
    const { adapter } = await connect(kind);
    await adapter.executeRaw(q('CREATE TABLE t (id INTEGER PRIMARY KEY, x)'));
    const inserted = await adapter.queryRaw(q('INSERT INTO t (id, x) VALUES (41, 1), (42, 2)'));
    expect(inserted.lastInsertId).toBe('42');
    expect(await adapter.executeRaw(q('UPDATE t SET x = x + 1'))).toBe(2);
    expect((await adapter.queryRaw(q('SELECT x FROM t ORDER BY id'))).lastInsertId).toBeUndefined();
  });

  it('commits and rolls back transactions that Prisma does not begin or end with SQL of its own', async () => {
    const { adapter } = await connect(kind);
    await adapter.executeRaw(q('CREATE TABLE t (x)'));
    const tx = await adapter.startTransaction();
    expect(tx.options).toEqual({ usePhantomQuery: true });
    expect(await tx.executeRaw(q('INSERT INTO t VALUES (1)'))).toBe(1);
    await tx.commit();
    const rolledBack = await adapter.startTransaction('SERIALIZABLE');
    await rolledBack.executeRaw(q('INSERT INTO t VALUES (2)'));
    await rolledBack.rollback();
    await rolledBack.rollback();
    expect((await adapter.queryRaw(q('SELECT x FROM t'))).rows).toEqual([[1]]);
  });

  it('creates, rolls back to and releases savepoints', async () => {
    const { adapter } = await connect(kind);
    await adapter.executeRaw(q('CREATE TABLE t (x)'));
    const tx = await adapter.startTransaction();
    await tx.executeRaw(q('INSERT INTO t VALUES (1)'));
    await tx.createSavepoint!('prisma_sp_0');
    await tx.executeRaw(q('INSERT INTO t VALUES (2)'));
    await tx.rollbackToSavepoint!('prisma_sp_0');
    await tx.releaseSavepoint!('prisma_sp_0');
    await tx.commit();
    expect((await adapter.queryRaw(q('SELECT x FROM t'))).rows).toEqual([[1]]);
  });

  it('refuses isolation levels other than SERIALIZABLE and savepoint names that are not identifiers', async () => {
    const { adapter } = await connect(kind);
    await expect(adapter.startTransaction('READ COMMITTED')).rejects.toMatchObject({
      name: 'DriverAdapterError',
      cause: { kind: 'InvalidIsolationLevel', level: 'READ COMMITTED' },
    });
    const tx = await adapter.startTransaction();
    await expect(tx.createSavepoint!('x; DROP TABLE t')).rejects.toThrow(
      'Expected the savepoint name to be an identifier',
    );
    await tx.rollback();
  });

  it('runs a script of several statements', async () => {
    const { adapter } = await connect(kind);
    await adapter.executeScript('CREATE TABLE a (x); CREATE TABLE b (y); INSERT INTO a VALUES (1);');
    expect((await adapter.queryRaw(q('SELECT count(*) AS n FROM a, sqlite_master'))).rows).toEqual([[2]]);
  });

  it('describes the connection and leaves a client it was given open on dispose', async () => {
    const { adapter, fixture } = await connect(kind);
    expect(adapter.provider).toBe('sqlite');
    expect(adapter.adapterName).toBe('wasmlite');
    expect(adapter.getConnectionInfo()).toEqual({ maxBindValues: 32766, supportsRelationJoins: false });
    await adapter.dispose();
    expect(fixture.client.closed).toBe(false);
  });

  it('enforces foreign keys, as the client does by default', async () => {
    const { adapter } = await connect(kind);
    expect((await adapter.queryRaw(q('PRAGMA foreign_keys'))).rows).toEqual([[1]]);
  });
});

describe('PrismaWasmlite', () => {
  it('opens a client from options, with integers as bigints, and closes it on dispose', async () => {
    const { dir } = await clients.open('local');
    const factory = new PrismaWasmlite({ url: `file:${dir}/own.db` });
    expect([factory.provider, factory.adapterName]).toEqual(['sqlite', 'wasmlite']);
    const adapter = await factory.connect();
    expect((await adapter.queryRaw(q('SELECT 9223372036854775807 AS big'))).rows).toEqual([['9223372036854775807']]);
    await adapter.dispose();
    await expect(adapter.queryRaw(q('SELECT 1'))).rejects.toMatchObject({
      name: 'DriverAdapterError',
      cause: { kind: 'ConnectionClosed' },
    });
  });

  it('connects a shadow database in memory', async () => {
    const shadow = await new PrismaWasmlite({ url: 'file:unused.db' }).connectToShadowDb();
    await shadow.executeScript('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    expect((await shadow.queryRaw(q('SELECT x FROM t'))).rows).toEqual([[1]]);
    await shadow.dispose();
  });

  it('checks its arguments', () => {
    expect(() => new PrismaWasmlite(null as never)).toThrow(TypeError);
    expect(() => new PrismaWasmlite({ url: '' })).toThrow('Expected the "url" option to be a non-empty string');
    expect(() => new PrismaWasmlite({ url: 'file:x.db' }, { timestampFormat: 'unix' as never })).toThrow(
      'Expected the "timestampFormat" option to be "iso8601" or "unixepoch-ms"',
    );
  });
});

describe('toDriverAdapterError', () => {
  it('names the extended code of every SQLite result code name', async () => {
    const engine = await loadEngine();
    let checked = 0;
    for (let primary = 1; primary <= 28; primary++) {
      for (let n = 0; n < 64; n++) {
        const rc = primary | (n << 8);
        const name = engine.codeName(rc);
        if (name.startsWith('SQLITE_UNKNOWN')) continue;
        expect([name, resultCodeOf(name)]).toEqual([name, rc]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(90);
  });

  it("maps a primary's error without a number, client errors, and leaves other errors alone", () => {
    const fromPrimary = toDriverAdapterError(
      new SqliteError('CHECK constraint failed: n', 'SQLITE_CONSTRAINT_CHECK', 0),
    ) as DriverAdapterError;
    expect(fromPrimary.cause).toMatchObject({ kind: 'sqlite', extendedCode: 275 });
    expect(
      (toDriverAdapterError(new SqliteError('database is locked', 'SQLITE_BUSY', 5)) as DriverAdapterError).cause.kind,
    ).toBe('SocketTimeout');
    expect(
      (
        toDriverAdapterError(
          new SqliteError('database table is locked', 'SQLITE_LOCKED_SHAREDCACHE', 262),
        ) as DriverAdapterError
      ).cause.kind,
    ).toBe('SocketTimeout');
    expect(
      (toDriverAdapterError(new ClientError('gone', 'TRANSACTION_CLOSED')) as DriverAdapterError).cause,
    ).toMatchObject({ kind: 'TransactionAlreadyClosed', cause: 'TRANSACTION_CLOSED: gone' });
    expect(
      (toDriverAdapterError(new ClientError('down', 'PRIMARY_UNREACHABLE')) as DriverAdapterError).cause.kind,
    ).toBe('DatabaseNotReachable');
    const other = new TypeError('x');
    expect(toDriverAdapterError(other)).toBe(other);
    const unmapped = new ClientError('no', 'NOT_SUPPORTED');
    expect(toDriverAdapterError(unmapped)).toBe(unmapped);
  });
});
