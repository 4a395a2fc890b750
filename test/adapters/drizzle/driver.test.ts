/**
 * The ways to create a wasmlite/drizzle database (`drizzle(client)`, `drizzle(client, config)`,
 * `drizzle({ client })`, `drizzle(url)`, `drizzle({ connection })`, with `syncUrl` for a
 * replica), `$client`, and argument checks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { drizzle, WasmliteDatabase } from '../../../adapters/drizzle/index.ts';
import { CLIENT_KINDS } from '../support/clients.ts';
import { towns } from './schema.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();
const closeAfter: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const c of closeAfter.splice(0)) c.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
});

describe.each(CLIENT_KINDS)('drizzle() with a %s client', (kind) => {
  it('accepts the client alone, with a config, or as { client, ...config }; $client is the client', async () => {
    const { fixture } = await dbs.open(kind);
    const logged: string[] = [];
    const logger = { logQuery: (q: string) => logged.push(q) };
    for (const db of [
      drizzle(fixture.client),
      drizzle(fixture.client, { logger }),
      drizzle({ client: fixture.client, logger }),
    ]) {
      expect(db).toBeInstanceOf(WasmliteDatabase);
      expect(db.$client).toBe(fixture.client);
      await db.insert(towns).values({ name: 'x' });
    }
    expect(await drizzle(fixture.client).$count(towns)).toBe(3);
    expect(logged).toHaveLength(2);
  });

  it('opens its own client from { connection: { url, syncUrl } }', async () => {
    const { fixture } = await dbs.open(kind);
    const url = `file:${path.join(fixture.dir, 'own.db')}`;
    const connection = fixture.primary === undefined ? { url } : { url, syncUrl: fixture.primary.url };
    const db = drizzle({ connection, schema: { towns } });
    closeAfter.push(db.$client);
    await db.run(sql`CREATE TABLE IF NOT EXISTS towns2 (id integer PRIMARY KEY, name text)`);
    await db.run(sql`INSERT INTO towns2 (name) VALUES ('Oslo')`);
    expect(await db.all(sql`SELECT name FROM towns2`)).toEqual([{ name: 'Oslo' }]);
    if (kind === 'replica') expect(db.$client.bookmark).toEqual(expect.any(String));
    expect(db.$client.closed).toBe(false);
    db.$client.close();
    expect(db.$client.closed).toBe(true);
  });
});

describe('drizzle() arguments', () => {
  it('opens a local file from a URL string or { connection: url }', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-drizzle-'));
    try {
      const a = drizzle(`file:${path.join(dir, 'a.db')}`);
      const b = drizzle({ connection: `file:${path.join(dir, 'b.db')}` });
      closeAfter.push(a.$client, b.$client);
      for (const db of [a, b]) expect(await db.get(sql`select 40 + 2 as answer`)).toEqual({ answer: 42 });
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const c of closeAfter.splice(0)) c.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws a TypeError for anything else', () => {
    expect(() => drizzle(42 as never)).toThrow(TypeError);
    expect(() => drizzle({ schema: {} } as never)).toThrow(TypeError);
  });

  it('reports a bad syncUrl setup at construction, as createClient does', () => {
    expect(() => drizzle({ connection: { url: 'file:replica.db', syncUrl: '' } })).toThrow(
      expect.objectContaining({ code: 'URL_INVALID' }),
    );
  });
});
