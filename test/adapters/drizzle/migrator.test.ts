/**
 * `migrate(db, { migrationsFolder })` from wasmlite/drizzle/migrator, local and replica: applies
 * drizzle-kit output once, records it in `__drizzle_migrations` like Drizzle's own drivers, rolls
 * everything back on a failure, and keeps the rows of tables that reference a rebuilt table.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient as createLibsqlClient } from '@libsql/client';
import { DrizzleQueryError, sql } from 'drizzle-orm';
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql';
import { migrate as migrateLibsql } from 'drizzle-orm/libsql/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, LibsqlError } from '../../../core/index.ts';
import { drizzle } from '../../../adapters/drizzle/index.ts';
import { migrate } from '../../../adapters/drizzle/migrator.ts';
import { CLIENT_KINDS } from '../support/clients.ts';
import { useDrizzle } from './support.ts';

const dbs = useDrizzle();
const EXAMPLE = path.resolve(import.meta.dirname, '../../../examples/drizzle/migrations');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Migration {
  tag: string;
  when: number;
  sql: string;
}

/** A migrations folder as drizzle-kit writes it: meta/_journal.json and one .sql file per entry. */
function migrationsFolder(migrations: Migration[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-drizzle-migrations-'));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'meta'));
  const entries = migrations.map((m, idx) => ({ idx, version: '6', when: m.when, tag: m.tag, breakpoints: true }));
  fs.writeFileSync(
    path.join(dir, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'sqlite', entries }),
  );
  for (const m of migrations) fs.writeFileSync(path.join(dir, `${m.tag}.sql`), m.sql);
  return dir;
}

/** The example's generated migrations (0000 creates the blog, 0001 rebuilds `authors`). */
function exampleMigrations(): Migration[] {
  const journal = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ tag: string; when: number }>;
  };
  return journal.entries.map(({ tag, when }) => ({
    tag,
    when,
    sql: fs.readFileSync(path.join(EXAMPLE, `${tag}.sql`), 'utf8'),
  }));
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

describe.each(CLIENT_KINDS)('drizzle migrate, %s client', (kind) => {
  it('applies drizzle-kit migrations and records each with its hash and journal time', async () => {
    const { db } = await dbs.open(kind, { tables: [] });
    const migrations = exampleMigrations();
    await migrate(db, { migrationsFolder: EXAMPLE });
    const tables = await db.values<[string]>(sql`select name from sqlite_schema where type = 'table' order by name`);
    expect(tables.map(([name]) => name)).toEqual(['__drizzle_migrations', 'authors', 'post_tags', 'posts', 'tags']);
    // Drizzle's layout: `id SERIAL PRIMARY KEY` is no rowid alias in SQLite, so id stays NULL there too.
    expect(await db.all(sql`select id, hash, created_at from __drizzle_migrations order by rowid`)).toEqual(
      migrations.map((m) => ({ id: null, hash: sha256(m.sql), created_at: m.when })),
    );
    const columns = await db.all<{ name: string; type: string }>(
      sql`select name, type from pragma_table_info('__drizzle_migrations')`,
    );
    expect(columns).toEqual([
      { name: 'id', type: 'SERIAL' },
      { name: 'hash', type: 'TEXT' },
      { name: 'created_at', type: 'numeric' },
    ]);
  });

  it('applies nothing when run again, and only the new migrations after the journal grows', async () => {
    const { db } = await dbs.open(kind, { tables: [] });
    const [first, second] = exampleMigrations();
    await migrate(db, { migrationsFolder: migrationsFolder([first!]) });
    await migrate(db, { migrationsFolder: migrationsFolder([first!]) });
    expect(await db.values(sql`select created_at from __drizzle_migrations`)).toEqual([[first!.when]]);
    await db.run(sql`insert into authors (id, name, email) values (1, 'Ada', 'ada@x')`);
    await migrate(db, { migrationsFolder: EXAMPLE });
    await migrate(db, { migrationsFolder: EXAMPLE });
    expect(await db.values(sql`select created_at from __drizzle_migrations order by rowid`)).toEqual([
      [first!.when],
      [second!.when],
    ]);
    // 0001 made name optional.
    await db.run(sql`insert into authors (id, email) values (2, 'anon@x')`);
    expect(await db.values(sql`select id, name from authors order by id`)).toEqual([
      [1, 'Ada'],
      [2, null],
    ]);
  });

  async function migratedOnceWithPosts(kind: 'local' | 'replica') {
    const opened = await dbs.open(kind, { tables: [] });
    const [first] = exampleMigrations();
    await migrate(opened.db, { migrationsFolder: migrationsFolder([first!]) });
    await opened.db.run(sql`insert into authors (id, name, email) values (1, 'Ada', 'ada@x')`);
    await opened.db.run(
      sql`insert into posts (id, author_id, title, body) values (1, 1, 'Notes', '…'), (2, 1, 'More', '…')`,
    );
    return opened;
  }

  it('keeps the rows of tables referencing a table a migration rebuilds, and enforces foreign keys after', async () => {
    const { db } = await migratedOnceWithPosts(kind);
    await migrate(db, { migrationsFolder: EXAMPLE });
    expect(await db.values(sql`select id, author_id from posts order by id`)).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(await db.values(sql`select id, name from authors`)).toEqual([[1, 'Ada']]);
    // Enforcement is back: deleting the author cascades to the posts (ON DELETE cascade).
    await db.run(sql`delete from authors where id = 1`);
    expect(await db.values(sql`select id from posts`)).toEqual([]);
  });

  it('(control) loses those rows when the same rebuild runs in a transaction with foreign keys on', async () => {
    const { db } = await migratedOnceWithPosts(kind);
    const rebuild = exampleMigrations()[1]!.sql.split('--> statement-breakpoint');
    await db.transaction(async (tx) => {
      for (const statement of rebuild) await tx.run(sql.raw(statement));
    });
    expect(await db.values(sql`select id from posts`)).toEqual([]);
  });

  it('rolls everything back when a migration fails, and rejects with the failing statement', async () => {
    const { db } = await dbs.open(kind, { tables: [] });
    const folder = migrationsFolder([
      {
        tag: '0000_ok',
        when: 1,
        sql: 'CREATE TABLE a (id integer PRIMARY KEY);\n--> statement-breakpoint\nINSERT INTO a VALUES (1);',
      },
      {
        tag: '0001_broken',
        when: 2,
        sql: 'CREATE TABLE b (id integer);\n--> statement-breakpoint\nINSERT INTO missing VALUES (1);',
      },
    ]);
    const error = await migrate(db, { migrationsFolder: folder }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrizzleQueryError);
    expect((error as DrizzleQueryError).query).toContain('INSERT INTO missing');
    expect((error as DrizzleQueryError).cause).toBeInstanceOf(LibsqlError);
    // The database is left as it was: not even the migrations table is created.
    expect(await db.values(sql`select name from sqlite_schema`)).toEqual([]);
  });

  it('applies each migration once when two migrations of the same database run at once', async () => {
    const { db } = await dbs.open(kind, { tables: [] });
    await Promise.all([migrate(db, { migrationsFolder: EXAMPLE }), migrate(db, { migrationsFolder: EXAMPLE })]);
    expect(await db.values(sql`select created_at from __drizzle_migrations order by rowid`)).toEqual(
      exampleMigrations().map((m) => [m.when]),
    );
  });

  it('uses migrationsTable when given', async () => {
    const { db } = await dbs.open(kind, { tables: [] });
    await migrate(db, { migrationsFolder: EXAMPLE, migrationsTable: 'schema_history' });
    expect(await db.values(sql`select count(*) from schema_history`)).toEqual([[2]]);
    expect(await db.values(sql`select name from sqlite_schema where name = '__drizzle_migrations'`)).toEqual([]);
  });
});

describe("drizzle migrate and drizzle-orm/libsql's", () => {
  it('share one __drizzle_migrations: a file migrated by libsql migrates on wasmlite without reapplying', async () => {
    const dir = migrationsFolder([]);
    const file = path.join(dir, 'shared.db');
    const [first] = exampleMigrations();
    const libsql = createLibsqlClient({ url: `file:${file}` });
    await migrateLibsql(drizzleLibsql(libsql), { migrationsFolder: migrationsFolder([first!]) });
    libsql.close();

    const client = createClient({ url: `file:${file}` });
    try {
      const db = drizzle(client);
      await migrate(db, { migrationsFolder: EXAMPLE });
      expect(await db.values(sql`select created_at from __drizzle_migrations order by rowid`)).toEqual(
        exampleMigrations().map((m) => [m.when]),
      );
    } finally {
      client.close();
    }
  });
});
