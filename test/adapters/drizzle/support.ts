/**
 * Opens a Drizzle database over a fresh wasmlite client of either kind (see
 * test/adapters/support/clients.ts), with the shared tables created.
 *
 * ```ts
 * const dbs = useDrizzle();
 * describe.each(CLIENT_KINDS)('%s client', (kind) => {
 *   it('inserts', async () => {
 *     const { db } = await dbs.open(kind);
 *     await db.insert(people).values({ name: 'Ada' });
 *   });
 * });
 * ```
 */
import type { DrizzleConfig } from 'drizzle-orm';
import { drizzle, type WasmliteDrizzle } from '../../../adapters/drizzle/index.ts';
import { useClients, type ClientFixture, type ClientKind } from '../support/clients.ts';
import { CREATE_TABLES } from './schema.ts';

export interface DrizzleFixture<TSchema extends Record<string, unknown>> {
  db: WasmliteDrizzle<TSchema>;
  fixture: ClientFixture;
}

export function useDrizzle(): {
  open<TSchema extends Record<string, unknown> = Record<string, never>>(
    kind: ClientKind,
    config?: DrizzleConfig<TSchema> & { tables?: readonly string[] },
  ): Promise<DrizzleFixture<TSchema>>;
} {
  const clients = useClients();
  return {
    async open(kind, config = {}) {
      const { tables = CREATE_TABLES, ...drizzleConfig } = config;
      const fixture = await clients.open(kind);
      if (tables.length > 0) await fixture.client.batch([...tables], 'write');
      return { db: drizzle(fixture.client, drizzleConfig), fixture };
    },
  };
}
