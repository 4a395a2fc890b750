import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS, useClients } from '../adapters/support/clients.ts';

describe.each(CLIENT_KINDS)('executeMultiple, %s client', (kind) => {
  const clients = useClients();

  it('runs a script in order (semicolons in strings, comments and triggers do not split it) and reads after it see it', async () => {
    const { client } = await clients.open(kind);
    await client.executeMultiple(`
      CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); -- a comment; with a semicolon
      CREATE TABLE log (v TEXT);
      /* a block; comment */
      CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.v); INSERT INTO log VALUES ('again'); END;
      INSERT INTO t (v) VALUES ('a;b'), ('c');
      UPDATE t SET v = v || '!' WHERE id = 2
    `);
    expect((await client.execute('SELECT v FROM t ORDER BY id')).rows.map((r) => r.v)).toEqual(['a;b', 'c!']);
    expect((await client.execute('SELECT count(*) AS n FROM log')).rows[0]!.n).toBe(4);
  });

  it('lets the script begin and commit its own transaction, with foreign keys off for a table rebuild', async () => {
    const { client } = await clients.open(kind);
    await client.executeMultiple(`
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id) ON DELETE CASCADE);
      INSERT INTO parent VALUES (1); INSERT INTO child (p) VALUES (1), (1);
    `);
    // A Prisma-style migration script.
    await client.executeMultiple(`
      PRAGMA foreign_keys = OFF;
      BEGIN;
      CREATE TABLE new_parent (id INTEGER PRIMARY KEY, label TEXT DEFAULT 'x');
      INSERT INTO new_parent (id) SELECT id FROM parent;
      DROP TABLE parent;
      ALTER TABLE new_parent RENAME TO parent;
      COMMIT;
      PRAGMA foreign_keys = ON;
    `);
    expect((await client.execute('SELECT count(*) AS n FROM child')).rows[0]!.n).toBe(2);
    expect((await client.execute('SELECT label FROM parent')).rows[0]!.label).toBe('x');
    await expect(client.execute('INSERT INTO child (p) VALUES (42)')).rejects.toThrow(/FOREIGN KEY/);
  });

  it('stops at the first failing statement with its error, keeping what earlier statements committed', async () => {
    const { client } = await clients.open(kind);
    await expect(
      client.executeMultiple(
        'CREATE TABLE a (x); INSERT INTO a VALUES (1); INSERT INTO missing VALUES (2); CREATE TABLE b (y);',
      ),
    ).rejects.toMatchObject({
      name: 'LibsqlError',
      code: 'SQLITE_ERROR',
      message: expect.stringMatching(/no such table: missing/),
    });
    expect((await client.execute('SELECT count(*) AS n FROM a')).rows[0]!.n).toBe(1);
    expect((await client.execute("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'b'")).rows[0]!.n).toBe(0);
    await expect(client.executeMultiple(42 as never)).rejects.toThrow(TypeError);
    await client.execute('INSERT INTO a VALUES (3)');
  });
});
