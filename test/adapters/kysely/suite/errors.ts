import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ClientError, LibsqlError } from '../../../../core/index.ts';
import type { ClientKind } from '../../support/clients.ts';
import { openSeeded, useKysely } from './setup.ts';

/** Errors reach the caller as the client raised them: wasmlite's `LibsqlError`, with its code. */
export function errorCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('errors', () => {
    it('rejects a unique violation with LibsqlError SQLITE_CONSTRAINT_UNIQUE', async () => {
      const { db } = await openSeeded(kysely, kind);
      const error = await db
        .insertInto('pet')
        .values({ name: 'Catto', owner_id: 1, species: 'cat' })
        .execute()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LibsqlError);
      expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_UNIQUE' });
      expect((error as Error).message).toMatch(/UNIQUE constraint failed: pet.name/);
    });

    it('rejects a not-null violation and a syntax error with their codes', async () => {
      const { db } = await openSeeded(kysely, kind);
      await expect(
        db
          .insertInto('pet')
          .values({ name: null as never, owner_id: 1, species: 'cat' })
          .execute(),
      ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_NOTNULL' });
      const syntax = await sql`selec 1`.execute(db).catch((e: unknown) => e);
      expect(syntax).toBeInstanceOf(LibsqlError);
      expect(syntax).toMatchObject({ code: 'SQLITE_ERROR' });
      expect((syntax as Error).message).toMatch(/syntax error/);
    });

    it('rejects a query on a missing table or column', async () => {
      const { db } = await openSeeded(kysely, kind);
      await expect(sql`select * from nowhere`.execute(db)).rejects.toThrow(/no such table: nowhere/);
      await expect(
        db
          .selectFrom('person')
          .select('nope' as never)
          .execute(),
      ).rejects.toThrow(/no such column: "?nope/);
    });

    it('enforces foreign keys (on from the start, as in better-sqlite3)', async () => {
      const { db } = await openSeeded(kysely, kind);
      const error = await db
        .insertInto('pet')
        .values({ name: 'Orphan', owner_id: 99, species: 'cat' })
        .execute()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LibsqlError);
      expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
      const bad = await sql`pragma foreign_key_check`.execute(db);
      expect(bad.rows).toEqual([]);
    });

    it('passes a ClientError through: a query on a closed client', async () => {
      const { db, fixture } = await openSeeded(kysely, kind);
      fixture.client.close();
      const error = await db
        .selectFrom('person')
        .selectAll()
        .execute()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClientError);
      expect(error).toMatchObject({ code: 'CLIENT_CLOSED' });
    });

    // V8 keeps 10 frames; the client's own frames (through a replica, its HTTP transport's too)
    // must not push the caller's out of the stack.
    it('gives an error a stack that reaches the code that ran the query', async () => {
      const { db } = await openSeeded(kysely, kind);
      let error: unknown;
      try {
        await db
          .selectFrom('person')
          .where('id', 'in', -1 as never)
          .execute();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(LibsqlError);
      expect((error as Error).stack).toContain(import.meta.filename);
    });

    it('leaves the Kysely instance usable after an error', async () => {
      const { db } = await openSeeded(kysely, kind);
      await expect(sql`select nope`.execute(db)).rejects.toBeInstanceOf(LibsqlError);
      expect(await db.selectFrom('person').select('id').where('id', '=', 2).executeTakeFirst()).toEqual({ id: 2 });
    });
  });
}
