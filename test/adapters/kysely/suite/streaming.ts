import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { ClientKind } from '../../support/clients.ts';
import { openSeeded, useKysely } from './setup.ts';

/** `stream()`: rows arrive as the query steps, not as one result. */
export function streamingCases(kind: ClientKind): void {
  const kysely = useKysely();

  describe('stream', () => {
    it('streams the rows of a select in order', async () => {
      const { db } = await openSeeded(kysely, kind);
      const names: string[] = [];
      for await (const row of db.selectFrom('person').select('first_name').orderBy('id').stream())
        names.push(row.first_name!);
      expect(names).toEqual(['Jennifer', 'Arnold', 'Sylvester']);
    });

    it('streams 100 000 rows with bounded memory', async () => {
      const { db } = await kysely.open(kind);
      // 100 000 rows of ~2 KB each (over 200 MB if held at once), computed by SQLite.
      const query = db
        .withRecursive('s(i)', (qb) =>
          qb.selectNoFrom(sql<number>`1`.as('i')).unionAll((qb) =>
            qb
              .selectFrom('s')
              .select(sql<number>`i + 1`.as('i'))
              .where('i', '<', 100_000),
          ),
        )
        .selectFrom('s')
        .select(['i', sql<string>`hex(zeroblob(1000))`.as('pad')]);
      const base = process.memoryUsage().heapUsed;
      let peak = 0;
      let n = 0;
      let sum = 0;
      for await (const row of query.stream(1000)) {
        n++;
        sum += row.i;
        if (n % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
      expect(n).toBe(100_000);
      expect(sum).toBe((100_000 * 100_001) / 2);
      expect(peak).toBeLessThan(100 * 1024 * 1024);
    });

    it('frees the database for the next query when the loop breaks early', async () => {
      const { db } = await openSeeded(kysely, kind);
      for await (const row of db.selectFrom('person').select('id').orderBy('id').stream(1)) {
        expect(row.id).toBe(1);
        break;
      }
      const inserted = await db
        .insertInto('pet')
        .values({ name: 'Nemo', owner_id: 1, species: 'cat' })
        .returning('id')
        .executeTakeFirstOrThrow();
      expect(inserted.id).toBe(4);
      expect(await db.selectFrom('pet').select('id').where('name', '=', 'Nemo').executeTakeFirst()).toEqual({ id: 4 });
    });

    it('streams inside a transaction, seeing its uncommitted rows', async () => {
      const { db } = await openSeeded(kysely, kind);
      const seen = await db.transaction().execute(async (trx) => {
        await trx.insertInto('pet').values({ name: 'Nemo', owner_id: 1, species: 'cat' }).execute();
        const names: string[] = [];
        for await (const row of trx.selectFrom('pet').select('name').orderBy('id').stream(2)) names.push(row.name);
        return names;
      });
      expect(seen).toEqual(['Catto', 'Doggo', 'Hammo', 'Nemo']);
    });

    it('hands the rows out in chunks of chunkSize', async () => {
      const { db } = await openSeeded(kysely, kind);
      await db
        .insertInto('pet')
        .values([
          { name: 'A', owner_id: 1, species: 'cat' },
          { name: 'B', owner_id: 1, species: 'cat' },
        ])
        .execute();
      const chunks: number[] = [];
      for await (const result of db
        .getExecutor()
        .stream(db.selectFrom('pet').select('name').orderBy('id').compile(), 2))
        chunks.push(result.rows.length);
      expect(chunks).toEqual([2, 2, 1]);
    });

    it('rejects the stream with the query error', async () => {
      const { db } = await openSeeded(kysely, kind);
      const stream = sql`select nope from person`.compile(db);
      const iterate = async () => {
        for await (const _ of db.getExecutor().stream(stream, 10)) {
          /* nothing */
        }
      };
      await expect(iterate()).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
      expect(await db.selectFrom('person').select('id').where('id', '=', 1).executeTakeFirst()).toEqual({ id: 1 });
    });
  });
}
