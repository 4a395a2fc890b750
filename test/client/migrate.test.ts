import { describe, expect, it } from 'vitest';
import { LibsqlError } from '../../core/index.ts';
import { CLIENT_KINDS, useClients } from '../adapters/support/clients.ts';

// A migration as drizzle-kit and Prisma write them: rebuild a referenced table under a new
// definition, copy its rows, drop the old one, rename. With foreign keys on, the DROP cascades.
const REBUILD = [
  "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '')",
  'INSERT INTO parent_new (id) SELECT id FROM parent',
  'DROP TABLE parent',
  'ALTER TABLE parent_new RENAME TO parent',
];

describe.each(CLIENT_KINDS)('migrations with foreign keys off, %s client', (kind) => {
  const clients = useClients();

  async function seeded() {
    const fixture = await clients.open(kind);
    await fixture.client.batch(
      [
        'CREATE TABLE parent (id INTEGER PRIMARY KEY)',
        'CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) ON DELETE CASCADE)',
        'INSERT INTO parent (id) VALUES (1), (2)',
        'INSERT INTO child (parent) VALUES (1), (1), (2)',
      ],
      'write',
    );
    return fixture;
  }

  const children = async (client: { execute(sql: string): Promise<{ rows: Array<Record<string, unknown>> }> }) =>
    (await client.execute('SELECT count(*) AS n FROM child')).rows[0]!.n;

  it('enforces foreign keys by default, here and on a primary', async () => {
    const { client } = await seeded();
    const error = await client.execute('INSERT INTO child (parent) VALUES (99)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).extendedCode).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    // This is what a migration with foreign keys on would do: the cascade empties child.
    const tx = await client.transaction('write');
    await tx.execute('DELETE FROM parent WHERE id = 2');
    await tx.rollback();
    expect(await children(client)).toBe(3);
  });

  it('migrate() rebuilds a referenced table without cascading, then enforces foreign keys again', async () => {
    const { client } = await seeded();
    const results = await client.migrate(REBUILD);
    expect(results).toHaveLength(REBUILD.length);
    expect(results[1]!.rowsAffected).toBe(2);
    expect(await children(client)).toBe(3);
    expect((await client.execute('SELECT name FROM parent ORDER BY id')).rows.map((r) => r.name)).toEqual(['', '']);
    const error = await client.execute('INSERT INTO child (parent) VALUES (99)').catch((e: unknown) => e);
    expect((error as LibsqlError).extendedCode).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
  });

  it('migrate() changes nothing when a statement fails, and foreign keys stay enforced', async () => {
    const { client } = await seeded();
    await expect(client.migrate([...REBUILD, 'INSERT INTO nowhere VALUES (1)'])).rejects.toThrow(
      /no such table: nowhere/,
    );
    expect((await client.execute("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'parent_new'")).rows[0]!.n).toBe(
      0,
    );
    expect(await children(client)).toBe(3);
    await expect(client.execute('INSERT INTO child (parent) VALUES (99)')).rejects.toThrow(/FOREIGN KEY/);
  });

  it('transaction(mode, { foreignKeys: false }) holds for that transaction only, whichever way it ends', async () => {
    const { client } = await seeded();
    for (const end of ['commit', 'rollback', 'close'] as const) {
      const tx = await client.transaction('write', { foreignKeys: false });
      await tx.execute('INSERT INTO child (parent) VALUES (98)');
      if (end === 'close') tx.close();
      else await tx[end]();
      await expect(client.execute('INSERT INTO child (parent) VALUES (99)')).rejects.toThrow(/FOREIGN KEY/);
    }
    expect((await client.execute('SELECT count(*) AS n FROM child WHERE parent = 98')).rows[0]!.n).toBe(1);
    await expect(client.transaction('write', { foreignKeys: 'no' } as never)).rejects.toThrow(
      'Expected the "foreignKeys" transaction option to be a boolean',
    );
    await expect(client.transaction('write', { unknown: true } as never)).rejects.toThrow(
      'Unknown transaction option "unknown"',
    );
  });
});
