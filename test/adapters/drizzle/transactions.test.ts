/**
 * `db.transaction` through wasmlite/drizzle, local and replica: commit, rollback (explicit and on
 * a thrown error), nested transactions through savepoints, behaviors, and calls on `db` made
 * while a transaction is open, which must not run inside it.
 */
import { eq, sql, TransactionRollbackError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { residents, towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

describe.each(CLIENT_KINDS)('drizzle transactions, %s client', (kind) => {
  it("commits the callback's writes and resolves with its value", async () => {
    const { db } = await dbs.open(kind);
    const value = await db.transaction(async (tx) => {
      await tx.insert(towns).values({ id: 1, name: 'Oslo' });
      await tx.update(towns).set({ name: 'Bergen' }).where(eq(towns.id, 1));
      return tx.select().from(towns);
    });
    expect(value).toEqual([{ id: 1, name: 'Bergen' }]);
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'Bergen' }]);
  });

  it('rolls back on tx.rollback(), rejecting with TransactionRollbackError', async () => {
    const { db } = await dbs.open(kind);
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(towns).values({ name: 'Oslo' });
        tx.rollback();
      }),
    ).rejects.toBeInstanceOf(TransactionRollbackError);
    expect(await db.select().from(towns)).toEqual([]);
  });

  it('rolls back when the callback throws, rejecting with its error', async () => {
    const { db } = await dbs.open(kind);
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(towns).values({ name: 'Oslo' });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await db.$count(towns)).toBe(0);
  });

  it('keeps the transaction going after a statement fails and the callback catches it', async () => {
    const { db } = await dbs.open(kind);
    await db.transaction(async (tx) => {
      await tx.insert(towns).values({ id: 1, name: 'Oslo' });
      await expect(tx.insert(towns).values({ id: 1, name: 'again' })).rejects.toThrow();
      await tx.insert(towns).values({ id: 2, name: 'Lima' });
    });
    expect(await db.select({ id: towns.id }).from(towns)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('commits a nested transaction with the outer one', async () => {
    const { db } = await dbs.open(kind);
    await db.transaction(async (tx) => {
      await tx.insert(towns).values({ id: 1, name: 'Oslo' });
      await tx.transaction(async (inner) => {
        await inner.update(towns).set({ name: 'Bergen' });
        await inner.transaction(async (innermost) => innermost.insert(towns).values({ id: 2, name: 'Lima' }));
      });
    });
    expect(await db.select().from(towns)).toEqual([
      { id: 1, name: 'Bergen' },
      { id: 2, name: 'Lima' },
    ]);
  });

  it('rolls back only the nested transaction to its savepoint; the outer one commits', async () => {
    const { db } = await dbs.open(kind);
    await db.transaction(async (tx) => {
      await tx.insert(towns).values({ id: 1, name: 'Oslo' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.update(towns).set({ name: 'changed' });
          inner.rollback();
        }),
      ).rejects.toBeInstanceOf(TransactionRollbackError);
      // A second nested transaction after the rolled-back one reuses the savepoint name.
      await tx.transaction(async (inner) => inner.insert(towns).values({ id: 2, name: 'Lima' }));
    });
    expect(await db.select().from(towns)).toEqual([
      { id: 1, name: 'Oslo' },
      { id: 2, name: 'Lima' },
    ]);
  });

  it.each(['deferred', 'immediate', 'exclusive'] as const)('runs with behavior %s', async (behavior) => {
    const { db } = await dbs.open(kind);
    await db.transaction(
      async (tx) => {
        await tx.insert(towns).values({ name: behavior });
      },
      { behavior },
    );
    expect(await db.select({ name: towns.name }).from(towns)).toEqual([{ name: behavior }]);
  });

  it('refuses an unknown behavior before starting', async () => {
    const { db } = await dbs.open(kind);
    await expect(db.transaction(async () => {}, { behavior: 'eager' as 'deferred' })).rejects.toThrow(TypeError);
  });

  it('turns foreign keys off for one transaction with { foreignKeys: false } and back on after it', async () => {
    const { db } = await dbs.open(kind);
    await expect(db.insert(residents).values({ name: 'orphan', townId: 99 })).rejects.toMatchObject({
      cause: { code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' },
    });
    await db.transaction(
      async (tx) => {
        await tx.insert(residents).values({ id: 1, name: 'orphan', townId: 99 });
      },
      { foreignKeys: false },
    );
    expect(await db.select({ id: residents.id }).from(residents)).toEqual([{ id: 1 }]);
    await expect(db.insert(residents).values({ name: 'orphan', townId: 98 })).rejects.toMatchObject({
      cause: { code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' },
    });
  });

  it('runs reads inside the transaction against its own uncommitted writes', async () => {
    const { db } = await dbs.open(kind);
    await db
      .transaction(async (tx) => {
        await tx.insert(towns).values([{ name: 'a' }, { name: 'b' }]);
        expect(await tx.$count(towns)).toBe(2);
        expect(await tx.all(sql`select name from towns order by name`)).toEqual([{ name: 'a' }, { name: 'b' }]);
        tx.rollback();
      })
      .catch(() => {});
    expect(await db.$count(towns)).toBe(0);
  });

  it('never runs a db call made while a transaction is open inside it', async () => {
    const { db } = await dbs.open(kind);
    await db.insert(towns).values({ id: 1, name: 'committed before' });
    let outside: Promise<unknown> | undefined;
    let seenOutside: Promise<unknown> | undefined;
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(towns).values({ id: 2, name: 'rolled back' });
        // Started, not awaited: awaiting a db call inside the callback would wait for the callback.
        outside = db.insert(towns).values({ id: 3, name: 'outside' }).execute();
        seenOutside = db.select({ id: towns.id }).from(towns).execute();
        await new Promise((resolve) => setTimeout(resolve, 30));
        tx.rollback();
      }),
    ).rejects.toBeInstanceOf(TransactionRollbackError);
    await outside;
    expect(await seenOutside).not.toContainEqual({ id: 2 });
    expect(await db.select({ id: towns.id }).from(towns)).toEqual([{ id: 1 }, { id: 3 }]);
  });
});
