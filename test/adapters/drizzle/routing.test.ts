/**
 * Where Drizzle's statements run, local and replica: with a replica client selects are served
 * by the local file (no request to the primary), writes, batches with writes and transactions
 * go to the primary, and a select right after an insert sees it. With a local client the same
 * assertions hold with no primary at all.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { drizzle } from '../../../adapters/drizzle/index.ts';
import { CLIENT_KINDS } from '../support/clients.ts';
import { authors, books, library, LIBRARY_TABLES } from './relations.ts';
import { CREATE_TABLES, towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

describe.each(CLIENT_KINDS)('drizzle statement routing, %s client', (kind) => {
  // Requests the primary answered between two readings: n, plus the first reading's own /metrics request.
  const onPrimary = (n: number) => (kind === 'replica' ? n + 1 : 0);

  it('serves selects, relational queries, $count and read-only batches without the primary', async () => {
    const { db, fixture } = await dbs.open(kind, { schema: library, tables: [...CREATE_TABLES, ...LIBRARY_TABLES] });
    await db.insert(towns).values([
      { id: 1, name: 'Oslo' },
      { id: 2, name: 'Lima' },
    ]);
    await db.insert(authors).values({ id: 1, name: 'Ursula' });
    await db.insert(books).values({ id: 1, title: 'Earthsea', authorId: 1 });
    await db.select().from(towns); // waits for the replica to apply the inserts
    const before = await fixture.primaryRequests();
    expect(await db.select().from(towns).where(eq(towns.id, 2))).toEqual([{ id: 2, name: 'Lima' }]);
    expect(
      await db.query.authors.findFirst({ columns: { name: true }, with: { books: { columns: { title: true } } } }),
    ).toEqual({ name: 'Ursula', books: [{ title: 'Earthsea' }] });
    expect(await db.$count(towns)).toBe(2);
    await db.batch([db.select().from(towns), db.select({ id: towns.id }).from(towns)]);
    expect(await fixture.primaryRequests()).toBe(before + onPrimary(0));
  });

  it('sends each write and each batch with a write to the primary', async () => {
    const { db, fixture } = await dbs.open(kind);
    const before = await fixture.primaryRequests();
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    await db.update(towns).set({ name: 'Bergen' }).where(eq(towns.id, 1));
    await db.batch([db.insert(towns).values({ id: 2, name: 'Lima' }), db.select().from(towns)]);
    expect(await fixture.primaryRequests()).toBe(before + onPrimary(3));
  });

  it('reads an insert in the very next select', async () => {
    const { db } = await dbs.open(kind);
    for (let i = 1; i <= 5; i++) {
      await db.insert(towns).values({ id: i, name: `town ${i}` });
      expect(await db.$count(towns)).toBe(i);
      expect(await db.select({ name: towns.name }).from(towns).where(eq(towns.id, i)).get()).toEqual({
        name: `town ${i}`,
      });
    }
  });

  it('runs a transaction on the primary, and a select after it sees its writes', async () => {
    const { db, fixture } = await dbs.open(kind);
    const before = await fixture.primaryRequests();
    await db.transaction(async (tx) => {
      await tx.insert(towns).values({ id: 1, name: 'Oslo' });
      expect(await tx.select().from(towns)).toEqual([{ id: 1, name: 'Oslo' }]);
    });
    if (kind === 'replica') expect(await fixture.primaryRequests()).toBeGreaterThan(before);
    else expect(await fixture.primaryRequests()).toBe(0);
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'Oslo' }]);
  });

  it('keeps serving reads when the primary is gone; writes fail fast, PRIMARY_UNAVAILABLE as cause', async () => {
    const { db, fixture } = await dbs.open(kind);
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'Oslo' }]);
    await fixture.primary?.close();
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'Oslo' }]);
    const write = db.insert(towns).values({ id: 2, name: 'Lima' });
    if (kind === 'replica') await expect(write).rejects.toMatchObject({ cause: { code: 'PRIMARY_UNAVAILABLE' } });
    else await expect(write).resolves.toMatchObject({ rowsAffected: 1 });
  });

  it('shows a write to another client on the same data once that client is synced', async () => {
    const { db, fixture } = await dbs.open(kind);
    const other = drizzle(fixture.another());
    await other.insert(towns).values({ id: 1, name: 'from the other client' });
    await db.$client.sync();
    expect(await db.select().from(towns)).toEqual([{ id: 1, name: 'from the other client' }]);
  });
});
