/**
 * Drizzle's query cache (`drizzle(client, { cache })`) through wasmlite/drizzle, local and
 * replica: selects are served from the cache, writes invalidate it, errors are still wrapped.
 */
import { DrizzleQueryError, eq, sql } from 'drizzle-orm';
import { Cache, type MutationOption } from 'drizzle-orm/cache/core';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();

/** A cache of every select, invalidated per table on writes. */
class MemoryCache extends Cache {
  readonly entries = new Map<string, { value: unknown; tables: string[] }>();
  hits = 0;

  strategy(): 'all' {
    return 'all';
  }

  async get(key: string): Promise<any[] | undefined> {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.hits++;
    return entry?.value as any[] | undefined;
  }

  async put(key: string, value: unknown, tables: string[]): Promise<void> {
    this.entries.set(key, { value, tables });
  }

  async onMutate({ tables }: MutationOption): Promise<void> {
    const names = (Array.isArray(tables) ? tables : [tables]).map(String);
    for (const [key, entry] of this.entries) if (entry.tables.some((t) => names.includes(t))) this.entries.delete(key);
  }
}

describe.each(CLIENT_KINDS)('drizzle query cache, %s client', (kind) => {
  it('serves a repeated select from the cache until a write to its table', async () => {
    const cache = new MemoryCache();
    const { db, fixture } = await dbs.open(kind, { cache });
    await db.insert(towns).values({ id: 1, name: 'Oslo' });
    const query = () => db.select().from(towns).where(eq(towns.id, 1));
    expect(await query()).toEqual([{ id: 1, name: 'Oslo' }]);
    // Changed behind Drizzle's back: the cached result is still served.
    await fixture.client.execute("update towns set name = 'changed' where id = 1");
    expect(await query()).toEqual([{ id: 1, name: 'Oslo' }]);
    expect(cache.hits).toBe(1);
    await db.update(towns).set({ name: 'Bergen' }).where(eq(towns.id, 1));
    expect(await query()).toEqual([{ id: 1, name: 'Bergen' }]);
  });

  it('still wraps failures in DrizzleQueryError', async () => {
    const { db } = await dbs.open(kind, { cache: new MemoryCache() });
    const error = await db.all(sql`select * from nowhere`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrizzleQueryError);
    expect(error).toMatchObject({ cause: { code: 'SQLITE_ERROR' } });
  });
});
