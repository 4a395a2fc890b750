/**
 * Failures through wasmlite/drizzle, local and replica: Drizzle's DrizzleQueryError with the
 * query and parameters, the wasmlite LibsqlError (code intact) or ClientError as `cause`, and a
 * database that stays usable afterwards.
 */
import { DrizzleQueryError, eq, sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { ClientError, LibsqlError } from '../../../core/index.ts';
import { CLIENT_KINDS } from '../support/clients.ts';
import { towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

async function failure(promise: Promise<unknown>): Promise<DrizzleQueryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DrizzleQueryError);
  return error as DrizzleQueryError;
}

describe.each(CLIENT_KINDS)('drizzle errors, %s client', (kind) => {
  it('wraps a constraint violation with the query, its parameters and the LibsqlError', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    const error = await failure(db.insert(towns).values({ id: 1, name: 'again' }));
    expect(error.query).toBe('insert into "towns" ("id", "name") values (?, ?)');
    expect(error.params).toEqual([1, 'again']);
    expect(error.cause).toBeInstanceOf(LibsqlError);
    expect(error.cause).toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
  });

  it('keeps the extended code of NOT NULL, UNIQUE and CHECK violations', async () => {
    const strict = sqliteTable('strict', {
      id: integer('id').primaryKey(),
      email: text('email').unique(),
      age: integer('age'),
    });
    const { db } = await dbs.open(kind, {
      tables: [
        'CREATE TABLE strict (id integer PRIMARY KEY, email text NOT NULL UNIQUE, age integer CHECK (age >= 0))',
      ],
    });
    await db.insert(strict).values({ email: 'a@x' });
    expect((await failure(db.insert(strict).values({ email: 'a@x' }))).cause).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    expect((await failure(db.insert(strict).values({}))).cause).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_NOTNULL',
    });
    expect((await failure(db.insert(strict).values({ email: 'b@x', age: -1 }))).cause).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_CHECK',
    });
  });

  it('wraps SQL errors of raw queries', async () => {
    const { db } = await dbs.open(kind);
    const error = await failure(db.all(sql`select * from no_such_table`));
    expect(error.cause).toBeInstanceOf(LibsqlError);
    expect(error.cause).toMatchObject({ code: 'SQLITE_ERROR', message: expect.stringContaining('no_such_table') });
  });

  it('wraps ClientErrors too (a closed client)', async () => {
    const { db, fixture } = await dbs.open(kind);
    fixture.client.close();
    const error = await failure(db.select().from(towns).where(eq(towns.id, 1)));
    expect(error.cause).toBeInstanceOf(ClientError);
    expect(error.cause).toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('refuses to round an integer beyond 2^53: the cause is a RangeError', async () => {
    const { db } = await dbs.open(kind);
    await db.run(sql`insert into towns (id, name) values (9007199254740993, 'far')`);
    const error = await failure(db.select().from(towns));
    expect(error.cause).toBeInstanceOf(RangeError);
  });

  it('stays usable after a failed query', async () => {
    const { db } = await dbs.open(kind);
    await failure(db.run(sql`insert into towns (id) values (1)`));
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'Oslo' }]);
  });

  it('rolls a transaction back when one of its statements fails uncaught', async () => {
    const { db } = await dbs.open(kind);
    const error = await failure(
      db.transaction(async (tx) => {
        await tx.insert(towns).values({ id: 1, name: 'Oslo' });
        await tx.insert(towns).values({ id: 1, name: 'again' });
      }),
    );
    expect(error.cause).toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(await db.$count(towns)).toBe(0);
  });
});
