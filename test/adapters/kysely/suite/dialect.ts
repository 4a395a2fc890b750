import path from 'node:path';
import { Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { WasmliteDialect } from '../../../../adapters/kysely/index.ts';
import type { ClientKind } from '../../support/clients.ts';
import { useKysely } from './setup.ts';

/** `WasmliteDialect` built from a client or from createClient's options. */
export function dialectCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('dialect', () => {
    it('opens its own client from { url, syncUrl } and closes it on destroy', async () => {
      const { fixture } = await kysely.open(kind);
      const url = `file:${path.join(fixture.dir, 'own.db')}`;
      const db = new Kysely<any>({
        dialect: new WasmliteDialect(kind === 'replica' ? { url, syncUrl: fixture.primary!.url } : { url }),
      });
      await sql`create table t (x)`.execute(db);
      await sql`insert into t values (${1})`.execute(db);
      expect((await sql<{ x: number }>`select x from t`.execute(db)).rows).toEqual([{ x: 1 }]);
      await db.destroy();
      await expect(sql`select 1`.execute(db)).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 20));
    });

    it('leaves a client it was given open on destroy', async () => {
      const { db, fixture } = await kysely.open(kind);
      await sql`select 1`.execute(db);
      await db.destroy();
      expect(fixture.client.closed).toBe(false);
      expect((await fixture.client.execute('SELECT 2 AS two')).rows[0]!.two).toBe(2);
    });

    it('runs onCreateConnection for each new connection', async () => {
      const { fixture } = await kysely.open(kind);
      let created = 0;
      const db = new Kysely<any>({
        dialect: new WasmliteDialect({ client: fixture.client, onCreateConnection: async () => void created++ }),
      });
      await sql`select 1`.execute(db);
      await sql`select 1`.execute(db);
      expect(created).toBe(1);
      await db.destroy();
    });

    it("returns integers as the client's intMode says", async () => {
      const { db } = await kysely.open(kind, { intMode: 'bigint' });
      await sql`create table big (id integer primary key, n integer)`.execute(db);
      const inserted = await sql`insert into big values (${1}, ${9007199254740993n})`.execute(db);
      expect(inserted.insertId).toBe(1n);
      const { rows } = await sql<{ id: bigint; n: bigint }>`select id, n from big`.execute(db);
      expect(rows).toEqual([{ id: 1n, n: 9007199254740993n }]);
      // RETURNING runs on the primary in replica mode: the same types come back.
      const returned = await sql<{
        id: bigint;
        n: bigint;
        r: number;
      }>`insert into big values (${2}, ${2}) returning id, n, 2.0 as r`.execute(db);
      expect(returned.rows).toEqual([{ id: 2n, n: 2n, r: 2 }]);
    });

    it('reads from the local file and writes on the primary in replica mode', async () => {
      const { db, fixture } = await kysely.open(kind);
      await sql`create table t (x integer)`.execute(db);
      const beforeWrite = await fixture.primaryRequests();
      await sql`insert into t values (${1})`.execute(db);
      const beforeReads = await fixture.primaryRequests();
      for (let i = 0; i < 5; i++)
        expect((await sql<{ x: number }>`select x from t`.execute(db)).rows).toEqual([{ x: 1 }]);
      for await (const row of db
        .selectFrom('t' as never)
        .select('x' as never)
        .stream())
        expect(row).toEqual({ x: 1 });
      const after = await fixture.primaryRequests();
      if (kind === 'replica') {
        // The insert went to the primary; the reads did not (only the /metrics requests counted here).
        expect(beforeReads - beforeWrite).toBe(2);
        expect(after - beforeReads).toBe(1);
      } else {
        expect(after).toBe(0);
      }
    });

    it('checks its config up front', () => {
      expect(() => new WasmliteDialect(undefined as never)).toThrow(TypeError);
      expect(() => new WasmliteDialect({} as never)).toThrow('Expected the "client" or "url" option');
    });
  });
}
