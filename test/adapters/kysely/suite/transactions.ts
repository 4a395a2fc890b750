import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { LibsqlError } from '../../../../core/index.ts';
import type { ClientKind } from '../../support/clients.ts';
import { count, openSeeded, useKysely } from './setup.ts';

/** Tracks whether a promise has settled yet. */
function watch<T>(promise: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  return {
    promise: watched,
    get settled() {
      return settled;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** `transaction()`, `startTransaction()`, savepoints, access modes and isolation. */
export function transactionCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('transactions', () => {
    it('commits what the callback did and returns its value', async () => {
      const { db } = await openSeeded(kysely, kind);
      const id = await db.transaction().execute(async (trx) => {
        const { id } = await trx
          .insertInto('person')
          .values({ first_name: 'Tx', last_name: null, middle_name: null, gender: 'other', marital_status: null })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.insertInto('pet').values({ name: 'TxPet', owner_id: id, species: 'cat' }).execute();
        return id;
      });
      expect(id).toBe(4);
      expect(await db.selectFrom('pet').select('owner_id').where('name', '=', 'TxPet').executeTakeFirst()).toEqual({
        owner_id: 4,
      });
    });

    it('rolls back everything when the callback throws, and rethrows its error', async () => {
      const { db } = await openSeeded(kysely, kind);
      const failure = new Error('nope');
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.deleteFrom('toy').execute();
          await trx.deleteFrom('pet').execute();
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await count(db, 'pet')).toBe(3);
      expect(await count(db, 'toy')).toBe(1);
    });

    it('rolls back on a failing statement and passes its LibsqlError through', async () => {
      const { db } = await openSeeded(kysely, kind);
      const error = await db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('pet').values({ name: 'Fresh', owner_id: 1, species: 'cat' }).execute();
          await trx.insertInto('pet').values({ name: 'Catto', owner_id: 1, species: 'cat' }).execute();
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LibsqlError);
      expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_UNIQUE' });
      expect(await db.selectFrom('pet').select('id').where('name', '=', 'Fresh').executeTakeFirst()).toBeUndefined();
    });

    it('keeps queries made outside the transaction out of it: they never see its uncommitted rows', async () => {
      const { db } = await openSeeded(kysely, kind);
      let outside: ReturnType<typeof watch<{ name: string }[]>> | undefined;
      await db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('pet').values({ name: 'Uncommitted', owner_id: 1, species: 'cat' }).execute();
          outside = watch(db.selectFrom('pet').select('name').execute());
          await settle();
          expect((await trx.selectFrom('pet').select('name').where('name', '=', 'Uncommitted').execute()).length).toBe(
            1,
          );
          throw new Error('roll back');
        })
        .catch(() => {});
      const names = (await outside!.promise).map((r) => r.name);
      expect(names).not.toContain('Uncommitted');
      expect(names.sort()).toEqual(['Catto', 'Doggo', 'Hammo']);
    });

    it("passes a failing commit's LibsqlError through and leaves nothing of the transaction", async () => {
      const { db } = await openSeeded(kysely, kind);
      await sql`create table tag (
        id integer primary key, pet_id integer references pet (id) deferrable initially deferred
      )`.execute(db);
      const error = await db
        .transaction()
        .execute(async (trx) => {
          await sql`insert into tag values (1, 99)`.execute(trx);
          await trx.insertInto('toy').values({ name: 'Lost', price: 1, pet_id: 1 }).execute();
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LibsqlError);
      expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
      expect(await count(db, 'tag')).toBe(0);
      expect(await count(db, 'toy')).toBe(1);
      await db.transaction().execute((trx) => sql`insert into tag values (2, 1)`.execute(trx));
      expect(await count(db, 'tag')).toBe(1);
    });

    it('runs concurrent transactions of one Kysely one after another', async () => {
      const { db } = await kysely.open(kind);
      await sql`create table counter (n integer not null)`.execute(db);
      await sql`insert into counter values (0)`.execute(db);
      const increment = () =>
        db.transaction().execute(async (trx) => {
          const { n } = (await sql<{ n: number }>`select n from counter`.execute(trx)).rows[0]!;
          await settle();
          await sql`update counter set n = ${n + 1}`.execute(trx);
        });
      await Promise.all([increment(), increment(), increment()]);
      expect((await sql<{ n: number }>`select n from counter`.execute(db)).rows[0]!.n).toBe(3);
    });

    it('runs a transaction that may write on the primary in replica mode', async () => {
      const { db, fixture } = await openSeeded(kysely, kind);
      const before = await fixture.primaryRequests();
      await db.transaction().execute(async (trx) => {
        await trx.selectFrom('person').selectAll().execute();
      });
      const after = await fixture.primaryRequests();
      if (kind === 'replica') expect(after - before).toBeGreaterThan(1);
      else expect(after).toBe(0);
    });

    it('refuses writes in a read only transaction and still reads, locally in replica mode', async () => {
      const { db, fixture } = await openSeeded(kysely, kind);
      const before = await fixture.primaryRequests();
      const people = await db
        .transaction()
        .setAccessMode('read only')
        .execute((trx) => trx.selectFrom('person').select('id').execute());
      expect(people).toHaveLength(3);
      if (kind === 'replica') expect(await fixture.primaryRequests()).toBe(before + 1);
      const error = await db
        .transaction()
        .setAccessMode('read only')
        .execute((trx) => trx.deleteFrom('toy').execute())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LibsqlError);
      expect((error as LibsqlError).code).toMatch(/^SQLITE_READONLY/);
      expect(await count(db, 'toy')).toBe(1);
    });

    it('commits and rolls back controlled transactions', async () => {
      const { db } = await openSeeded(kysely, kind);
      const trx = await db.startTransaction().execute();
      await trx.insertInto('pet').values({ name: 'Kept', owner_id: 1, species: 'cat' }).execute();
      await trx.commit().execute();
      expect(trx.isCommitted).toBe(true);
      const other = await db.startTransaction().execute();
      await other.deleteFrom('pet').where('name', '=', 'Kept').execute();
      await other.rollback().execute();
      expect(other.isRolledBack).toBe(true);
      expect(await db.selectFrom('pet').select('name').where('name', '=', 'Kept').executeTakeFirst()).toEqual({
        name: 'Kept',
      });
    });

    it('rolls back to a savepoint, releases one, and commits the rest', async () => {
      const { db } = await openSeeded(kysely, kind);
      const trx = await db.startTransaction().execute();
      await trx.insertInto('pet').values({ name: 'BeforeSavepoint', owner_id: 1, species: 'cat' }).execute();
      const sp1 = await trx.savepoint('sp1').execute();
      await sp1.insertInto('pet').values({ name: 'Undone', owner_id: 1, species: 'cat' }).execute();
      const back = await sp1.rollbackToSavepoint('sp1').execute();
      const sp2 = await back.savepoint('sp2').execute();
      await sp2.insertInto('pet').values({ name: 'Released', owner_id: 1, species: 'cat' }).execute();
      const released = await sp2.releaseSavepoint('sp2').execute();
      await released.commit().execute();
      const names = (await db.selectFrom('pet').select('name').where('id', '>', 3).orderBy('id').execute()).map(
        (r) => r.name,
      );
      expect(names).toEqual(['BeforeSavepoint', 'Released']);
    });

    it('keeps other queries out of a controlled transaction: they wait (local) or read what is committed', async () => {
      const { db } = await openSeeded(kysely, kind);
      const trx = await db.startTransaction().execute();
      await trx.updateTable('person').set({ children: 7 }).where('id', '=', 1).execute();
      const outside = watch(db.selectFrom('person').select('children').where('id', '=', 1).executeTakeFirstOrThrow());
      if (kind === 'local') {
        await settle();
        expect(outside.settled).toBe(false);
        await trx.commit().execute();
        expect((await outside.promise).children).toBe(7);
      } else {
        expect((await outside.promise).children).toBe(0);
        await trx.commit().execute();
      }
      expect(
        (await db.selectFrom('person').select('children').where('id', '=', 1).executeTakeFirstOrThrow()).children,
      ).toBe(7);
    });
  });
}
