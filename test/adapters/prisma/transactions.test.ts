import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { usePrisma, type Db } from './support/fixture.ts';

const prisma = usePrisma();

const user = (n: string) => ({ data: { email: `${n}@example.com`, name: n } });
const names = async (db: Db) =>
  (await db.user.findMany({ orderBy: { name: 'asc' }, select: { name: true } })).map((u: { name: string }) => u.name);

describe.each(CLIENT_KINDS)('Prisma transactions on a %s client', (kind) => {
  it('commits an interactive transaction and returns its result', async () => {
    const { db } = await prisma.open(kind);
    const count = await db.$transaction(async (tx: Db) => {
      await tx.user.create(user('a'));
      await tx.user.create(user('b'));
      return tx.user.count();
    });
    expect(count).toBe(2);
    expect(await names(db)).toEqual(['a', 'b']);
  });

  it('rolls an interactive transaction back when its function throws', async () => {
    const { db } = await prisma.open(kind);
    await db.user.create(user('kept'));
    const failure = db.$transaction(async (tx: Db) => {
      await tx.user.create(user('a'));
      await tx.user.update({ where: { email: 'kept@example.com' }, data: { name: 'changed' } });
      throw new Error('abandon');
    });
    await expect(failure).rejects.toThrow('abandon');
    expect(await names(db)).toEqual(['kept']);
  });

  it('rolls back an interactive transaction that outlives its timeout, and the client goes on', async () => {
    const { db } = await prisma.open(kind);
    const slow = db.$transaction(
      async (tx: Db) => {
        await tx.user.create(user('a'));
        await sleep(400);
        await tx.user.create(user('b'));
      },
      { timeout: 100 },
    );
    await expect(slow).rejects.toMatchObject({ code: 'P2028' });
    expect(await names(db)).toEqual([]);
    await db.user.create(user('c'));
    expect(await names(db)).toEqual(['c']);
  });

  it('gives up on a transaction that cannot start within maxWait', async () => {
    const { db } = await prisma.open(kind);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = db.$transaction(
      async (tx: Db) => {
        await tx.user.create(user('first'));
        await held;
      },
      { timeout: 10_000 },
    );
    await sleep(50);
    const second = db.$transaction(async (tx: Db) => tx.user.create(user('second')), { maxWait: 100 });
    await expect(second).rejects.toMatchObject({ code: 'P2028' });
    release();
    await first;
    expect(await names(db)).toEqual(['first']);
  });

  it('runs a batch transaction atomically', async () => {
    const { db } = await prisma.open(kind);
    const [a, b, count] = await db.$transaction([
      db.user.create(user('a')),
      db.user.create(user('b')),
      db.user.count(),
    ]);
    expect([a.name, b.name, count]).toEqual(['a', 'b', 2]);
    const failing = db.$transaction([db.user.create(user('c')), db.user.create(user('a'))]);
    await expect(failing).rejects.toMatchObject({ code: 'P2002' });
    expect(await names(db)).toEqual(['a', 'b']);
  });

  it('runs nested transactions as savepoints: an inner failure undoes only the inner writes', async () => {
    const { db } = await prisma.open(kind);
    await db.$transaction(async (tx: Db) => {
      await tx.user.create(user('outer-1'));
      await expect(
        tx.$transaction(async (inner: Db) => {
          await inner.user.create(user('inner-1'));
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await tx.$transaction(async (inner: Db) => {
        await inner.user.create(user('inner-2'));
        await inner.$transaction(async (deepest: Db) => deepest.user.create(user('deepest')));
      });
      await tx.user.create(user('outer-2'));
    });
    expect(await names(db)).toEqual(['deepest', 'inner-2', 'outer-1', 'outer-2']);

    await expect(
      db.$transaction(async (tx: Db) => {
        await tx.$transaction(async (inner: Db) => inner.user.create(user('lost')));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await names(db)).not.toContain('lost');
  });

  it('accepts the Serializable isolation level and refuses the others', async () => {
    const { db } = await prisma.open(kind);
    expect(await db.$transaction(async (tx: Db) => tx.user.count(), { isolationLevel: 'Serializable' })).toBe(0);
    for (const isolationLevel of ['ReadUncommitted', 'ReadCommitted', 'RepeatableRead']) {
      await expect(db.$transaction(async (tx: Db) => tx.user.count(), { isolationLevel })).rejects.toMatchObject({
        code: 'P2023',
      });
    }
    expect(await db.user.count()).toBe(0);
  });

  it('does not run other queries of the client inside an open transaction', async () => {
    const { db } = await prisma.open(kind);
    let outside: Promise<number> | undefined;
    await expect(
      db.$transaction(async (tx: Db) => {
        await tx.user.create(user('uncommitted'));
        outside = db.user.count();
        await sleep(50);
        await tx.user.create(user('uncommitted-2'));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await outside).toBe(0);

    let afterCommit: Promise<number> | undefined;
    await db.$transaction(async (tx: Db) => {
      await tx.user.create(user('committed'));
      afterCommit = db.user.count();
      await sleep(50);
    });
    expect(await afterCommit).toBe(1);
  });

  it('serializes concurrent interactive transactions', async () => {
    const { db } = await prisma.open(kind);
    const { id } = await db.user.create({ data: { email: 'n@example.com', name: 'n', age: 0 } });
    const increment = () =>
      db.$transaction(
        async (tx: Db) => {
          const { age } = await tx.user.findUniqueOrThrow({ where: { id } });
          await sleep(20);
          await tx.user.update({ where: { id }, data: { age: age + 1 } });
        },
        { maxWait: 30_000 },
      );
    await Promise.all([increment(), increment(), increment()]);
    expect((await db.user.findUniqueOrThrow({ where: { id } })).age).toBe(3);
  });
});

describe('Prisma transactions on a replica client', () => {
  it('reports a transaction the primary rolled back after its idle timeout as closed (P1018), goes on', async () => {
    const { db } = await prisma.open('replica');
    const idle = db.$transaction(
      async (tx: Db) => {
        await tx.user.create(user('a'));
        await sleep(5_600); // the primary's transactionTimeoutMs is 5000
        await tx.user.create(user('b'));
      },
      { timeout: 30_000 },
    );
    await expect(idle).rejects.toMatchObject({
      code: 'P1018',
      meta: { driverAdapterError: { cause: { kind: 'TransactionAlreadyClosed' } } },
    });
    expect(await names(db)).toEqual([]);
    await db.user.create(user('c'));
    expect(await names(db)).toEqual(['c']);
  });
});
