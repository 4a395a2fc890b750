import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../core/index.ts';
import { LibsqlError } from '../../../core/index.ts';
import { migrate, PrismaMigrateError, PrismaWasmlite } from '../../../adapters/prisma/index.ts';
import { CLIENT_KINDS, useClients, type ClientFixture } from '../support/clients.ts';
import { loadGenerated, type Db } from './support/fixture.ts';
import { addMigration, fileSha256, INIT, POSTS, REDEFINE_USER, writeMigrationsFolder } from './support/migrations.ts';

/**
 * `_prisma_migrations` as Prisma's SQLite schema engine creates it: the `indoc!` text of
 * `create_migrations_table` in prisma-engines' sql-schema-connector (flavour/sqlite.rs), as
 * SQLite keeps it in `sqlite_master` (without the final semicolon).
 */
const PRISMA_MIGRATIONS_DDL = [
  'CREATE TABLE "_prisma_migrations" (',
  '    "id"                    TEXT PRIMARY KEY NOT NULL,',
  '    "checksum"              TEXT NOT NULL,',
  '    "finished_at"           DATETIME,',
  '    "migration_name"        TEXT NOT NULL,',
  '    "logs"                  TEXT,',
  '    "rolled_back_at"        DATETIME,',
  '    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,',
  '    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0',
  ')',
].join('\n');

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface HistoryRow {
  id: string;
  checksum: string;
  migration_name: string;
  started_at: unknown;
  finished_at: unknown;
  rolled_back_at: unknown;
  logs: string | null;
  applied_steps_count: number;
  types: string;
}

/** `_prisma_migrations`, oldest first, with the storage class of each timestamp and count. */
async function history(client: Client): Promise<HistoryRow[]> {
  const { rows } = await client.execute(
    `SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, logs, ` +
      `applied_steps_count,
      typeof(started_at) || ',' || typeof(finished_at) || ',' || typeof(rolled_back_at) || ',' || ` +
      `typeof(applied_steps_count) AS types
    FROM _prisma_migrations ORDER BY started_at, rowid`,
  );
  return rows.map((row) => ({ ...row }) as unknown as HistoryRow);
}

async function tableNames(client: Client): Promise<string[]> {
  const { rows } = await client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  return rows.map((row) => String(row.name));
}

async function rejection(promise: Promise<unknown>): Promise<PrismaMigrateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrismaMigrateError);
  return error as PrismaMigrateError;
}

const clients = useClients();

beforeAll(async () => {
  await loadGenerated();
}, 120_000);

/** A Prisma Client of the generated test schema on another client of the fixture's data. */
async function prismaOn(fixture: ClientFixture, use: (db: Db) => Promise<void>): Promise<void> {
  const { PrismaClient } = await loadGenerated();
  const db = new PrismaClient({ adapter: new PrismaWasmlite(fixture.another({ intMode: 'bigint' })) });
  try {
    await use(db);
  } finally {
    await db.$disconnect();
  }
}

describe.each(CLIENT_KINDS)('migrate() with a %s client', (kind) => {
  it('applies the migrations in the order of their folder names, and Prisma Client works on the result', async () => {
    const fixture = await clients.open(kind);
    const folder = writeMigrationsFolder(fixture.dir, [INIT, POSTS]);
    fs.writeFileSync(path.join(folder, 'README.md'), 'not a migration');

    expect(await migrate(fixture.client, { migrationsFolder: folder })).toEqual({
      appliedMigrationNames: [INIT.name, POSTS.name],
    });
    expect((await history(fixture.client)).map((r) => r.migration_name)).toEqual([INIT.name, POSTS.name]);
    expect(await tableNames(fixture.client)).toEqual([
      'Post',
      'Profile',
      'Scalars',
      'Tag',
      'User',
      '_PostToTag',
      '_prisma_migrations',
    ]);

    await prismaOn(fixture, async (db) => {
      await db.user.create({
        data: { email: 'ada@example.com', name: 'Ada', posts: { create: [{ title: 'Notes' }] } },
      });
      expect(await db.post.findMany({ select: { title: true, author: { select: { name: true } } } })).toEqual([
        { title: 'Notes', author: { name: 'Ada' } },
      ]);
    });
  });

  it('applies nothing on a second run and leaves the history as it was', async () => {
    const fixture = await clients.open(kind);
    const folder = writeMigrationsFolder(fixture.dir, [INIT, POSTS]);
    await migrate(fixture.client, { migrationsFolder: folder });
    const before = await history(fixture.client);

    expect(await migrate(fixture.client, { migrationsFolder: folder })).toEqual({ appliedMigrationNames: [] });
    expect(await history(fixture.client)).toEqual(before);

    addMigration(folder, REDEFINE_USER);
    expect(await migrate(fixture.client, { migrationsFolder: folder })).toEqual({
      appliedMigrationNames: [REDEFINE_USER.name],
    });
    expect((await history(fixture.client)).slice(0, 2)).toEqual(before);
  });

  it("writes _prisma_migrations as Prisma's engine does: DDL, UUID, SHA-256, epoch-ms times, one step", async () => {
    const fixture = await clients.open(kind);
    const folder = writeMigrationsFolder(fixture.dir, [INIT, POSTS]);
    const start = Date.now();
    await migrate(fixture.client, { migrationsFolder: folder });
    const end = Date.now();

    const { rows } = await fixture.client.execute("SELECT sql FROM sqlite_master WHERE name = '_prisma_migrations'");
    expect(rows[0]!.sql).toBe(PRISMA_MIGRATIONS_DDL);

    const rowsNow = await history(fixture.client);
    for (const [row, migration] of rowsNow.map((r, i) => [r, [INIT, POSTS][i]!] as const)) {
      expect(row.id).toMatch(UUID_V4);
      expect(row.checksum).toBe(fileSha256(path.join(folder, migration.name, 'migration.sql')));
      expect(row.types).toBe('integer,integer,null,integer');
      expect(Number(row.started_at)).toBeGreaterThanOrEqual(start);
      expect(Number(row.finished_at)).toBeGreaterThanOrEqual(Number(row.started_at));
      expect(Number(row.finished_at)).toBeLessThanOrEqual(end);
      expect(row).toMatchObject({
        migration_name: migration.name,
        rolled_back_at: null,
        logs: null,
        applied_steps_count: 1,
      });
    }
    expect(new Set(rowsNow.map((r) => r.id)).size).toBe(2);

    // Prisma reads the DATETIME columns as timestamps, as it reads what its own engine wrote.
    await prismaOn(fixture, async (db) => {
      const read = await db.$queryRawUnsafe(
        'SELECT migration_name, started_at, finished_at FROM _prisma_migrations ORDER BY started_at',
      );
      expect(read).toEqual(
        rowsNow.map((r) => ({
          migration_name: r.migration_name,
          started_at: new Date(Number(r.started_at)),
          finished_at: new Date(Number(r.finished_at)),
        })),
      );
    });
  });

  it('keeps the rows that reference a table a migration rebuilds (foreign keys are off while it runs)', async () => {
    const fixture = await clients.open(kind);
    const folder = writeMigrationsFolder(fixture.dir, [INIT, POSTS]);
    await migrate(fixture.client, { migrationsFolder: folder });
    await prismaOn(fixture, async (db) => {
      await db.user.create({
        data: {
          email: 'ada@example.com',
          name: 'Ada',
          profile: { create: { bio: 'analyst' } },
          posts: { create: [{ title: 'Notes' }] },
        },
      });
    });

    addMigration(folder, REDEFINE_USER);
    expect(await migrate(fixture.client, { migrationsFolder: folder })).toEqual({
      appliedMigrationNames: [REDEFINE_USER.name],
    });

    expect((await fixture.client.execute('SELECT count(*) AS n FROM "Post"')).rows[0]!.n).toBe(1);
    expect((await fixture.client.execute('SELECT count(*) AS n FROM "Profile"')).rows[0]!.n).toBe(1);
    expect((await fixture.client.execute('PRAGMA foreign_key_check')).rows).toEqual([]);
    expect((await fixture.client.execute('PRAGMA foreign_keys')).rows[0]![0]).toBe(1);
  });

  it('records a failed migration as Prisma does, keeps nothing of it, refuses later runs (P3009)', async () => {
    const fixture = await clients.open(kind);
    const broken = {
      name: POSTS.name,
      sql: `${POSTS.sql}\n-- a statement that fails after the tables are created\nINSERT INTO "Missing" VALUES (1);\n`,
    };
    const folder = writeMigrationsFolder(fixture.dir, [INIT, broken, REDEFINE_USER]);
    const start = Date.now();

    const failed = await rejection(migrate(fixture.client, { migrationsFolder: folder }));
    expect(failed.code).toBe('P3018');
    expect(failed.migrationNames).toEqual([POSTS.name]);
    expect(failed.cause).toBeInstanceOf(LibsqlError);
    expect((failed.cause as LibsqlError).code).toBe('SQLITE_ERROR');
    expect(failed.message).toContain('no such table: Missing');

    // The migration before it stays applied; nothing of the failed one is kept.
    expect(await tableNames(fixture.client)).toEqual(['Profile', 'Scalars', 'Tag', 'User', '_prisma_migrations']);
    const [init, failedRow, ...more] = await history(fixture.client);
    expect(more).toEqual([]);
    expect(init).toMatchObject({ migration_name: INIT.name, applied_steps_count: 1 });
    expect(failedRow).toMatchObject({
      migration_name: POSTS.name,
      finished_at: null,
      rolled_back_at: null,
      applied_steps_count: 0,
    });
    expect(failedRow!.id).toMatch(UUID_V4);
    expect(failedRow!.types).toBe('integer,null,null,integer');
    expect(Number(failedRow!.started_at)).toBeGreaterThanOrEqual(start);
    expect(failedRow!.checksum).toBe(fileSha256(path.join(folder, POSTS.name, 'migration.sql')));
    // Prisma's P3018 text, with SQLite's extended result code (1: SQLITE_ERROR) and message.
    expect(failedRow!.logs).toBe(
      'A migration failed to apply. New migrations cannot be applied before the error is recovered from. Read ' +
        'more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n\n' +
        `Migration name: ${POSTS.name}\n\nDatabase error code: 1\n\nDatabase error:\nno such table: Missing\n\n`,
    );

    const refused = await rejection(migrate(fixture.client, { migrationsFolder: folder }));
    expect(refused.code).toBe('P3009');
    expect(refused.migrationNames).toEqual([POSTS.name]);
    expect(refused.message).toMatch(
      new RegExp(
        `The \`${POSTS.name}\` migration started at \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(\\.\\d{3})? UTC ` +
          `failed with the following logs:\\nA migration failed to apply`,
      ),
    );
    expect(await history(fixture.client)).toHaveLength(2);

    // `prisma migrate resolve --rolled-back` sets rolled_back_at (epoch ms, as its engine binds it); then the fixed
    // script applies.
    await fixture.client.execute({
      sql: 'UPDATE _prisma_migrations SET rolled_back_at = ? WHERE id = ?',
      args: [BigInt(Date.now()), failedRow!.id],
    });
    addMigration(folder, POSTS);
    expect(await migrate(fixture.client, { migrationsFolder: folder })).toEqual({
      appliedMigrationNames: [POSTS.name, REDEFINE_USER.name],
    });
    const rows = await history(fixture.client);
    expect(rows.map((r) => [r.migration_name, r.finished_at === null, r.rolled_back_at === null])).toEqual([
      [INIT.name, false, true],
      [POSTS.name, true, false],
      [POSTS.name, false, true],
      [REDEFINE_USER.name, false, true],
    ]);
  });

  it('refuses a migration changed after it was applied, but not one whose line endings changed', async () => {
    const fixture = await clients.open(kind);
    const folder = writeMigrationsFolder(fixture.dir, [INIT]);
    await migrate(fixture.client, { migrationsFolder: folder });

    // Checked out on Windows: CRLF line endings. Prisma compares line-ending-agnostically.
    addMigration(folder, { name: INIT.name, sql: INIT.sql.replaceAll('\n', '\r\n') });
    addMigration(folder, POSTS);
    expect(await migrate(fixture.client, { migrationsFolder: folder })).toEqual({
      appliedMigrationNames: [POSTS.name],
    });

    addMigration(folder, { name: INIT.name, sql: `${INIT.sql}\nCREATE INDEX "User_name_idx" ON "User"("name");\n` });
    addMigration(folder, REDEFINE_USER);
    const error = await rejection(migrate(fixture.client, { migrationsFolder: folder }));
    expect(error.code).toBe('MIGRATION_MODIFIED');
    expect(error.migrationNames).toEqual([INIT.name]);
    expect((await history(fixture.client)).map((r) => r.migration_name)).toEqual([INIT.name, POSTS.name]);
  });
});

describe('migrate() on a history other writers left', () => {
  it('accepts a checksum in the unpadded form early Prisma versions wrote (prisma-engines issue 1887)', async () => {
    const fixture = await clients.open('local');
    const folder = writeMigrationsFolder(fixture.dir, [INIT]);
    await migrate(fixture.client, { migrationsFolder: folder });
    const digest = crypto.createHash('sha256').update(INIT.sql).digest();
    expect(digest.some((byte) => byte < 0x10)).toBe(true); // so that the two forms differ
    const unpadded = [...digest].map((byte) => byte.toString(16)).join('');
    await fixture.client.execute({ sql: 'UPDATE _prisma_migrations SET checksum = ?', args: [unpadded] });

    addMigration(folder, POSTS);
    expect(await migrate(fixture.client, { migrationsFolder: folder })).toEqual({
      appliedMigrationNames: [POSTS.name],
    });
  });

  it('reads timestamps stored as text (driver adapters, current_timestamp), printing them as Prisma does', async () => {
    const fixture = await clients.open('local');
    const folder = writeMigrationsFolder(fixture.dir, [INIT, POSTS]);
    await migrate(fixture.client, { migrationsFolder: folder });
    await fixture.client.execute({
      sql: 'UPDATE _prisma_migrations SET started_at = ?, finished_at = ? WHERE migration_name = ?',
      args: ['2024-01-01T12:00:00.123+00:00', '2024-01-01T12:00:01.000+00:00', INIT.name],
    });
    await fixture.client.execute({
      sql:
        "UPDATE _prisma_migrations SET started_at = '2024-01-02 08:30:00', finished_at = NULL, logs = NULL " +
        'WHERE migration_name = ?',
      args: [POSTS.name],
    });

    const error = await rejection(migrate(fixture.client, { migrationsFolder: folder }));
    expect(error.code).toBe('P3009');
    expect(error.message).toContain(`\nThe \`${POSTS.name}\` migration started at 2024-01-02 08:30:00 UTC failed`);
    await fixture.client.execute("UPDATE _prisma_migrations SET started_at = '2024-01-02T08:30:00.250Z'");
    expect((await rejection(migrate(fixture.client, { migrationsFolder: folder }))).message).toContain(
      'started at 2024-01-02 08:30:00.250 UTC failed',
    );
  });
});

describe('migrate() through a replica client', () => {
  it('runs on the primary: another replica of it sees the schema and the history', async () => {
    const fixture = await clients.open('replica');
    const folder = writeMigrationsFolder(fixture.dir, [INIT, POSTS]);
    const requests = await fixture.primaryRequests();
    await migrate(fixture.client, { migrationsFolder: folder });
    expect(await fixture.primaryRequests()).toBeGreaterThan(requests);

    const other = fixture.another();
    await other.sync();
    expect(await tableNames(other)).toEqual(await tableNames(fixture.client));
    expect(await history(other)).toEqual(await history(fixture.client));
    expect(await migrate(other, { migrationsFolder: folder })).toEqual({ appliedMigrationNames: [] });
  });
});

describe('migrate() refuses', () => {
  it('a migrations folder locked to another provider (P3019), touching nothing', async () => {
    const fixture = await clients.open('local');
    const folder = writeMigrationsFolder(
      fixture.dir,
      [INIT],
      '# Please do not edit this file manually\r\nprovider = "postgresql"\r\n',
    );
    const error = await rejection(migrate(fixture.client, { migrationsFolder: folder }));
    expect(error.code).toBe('P3019');
    expect(error.message).toContain('`postgresql`');
    expect(await tableNames(fixture.client)).toEqual([]);

    fs.writeFileSync(path.join(folder, 'migration_lock.toml'), '# no provider line\n');
    expect((await rejection(migrate(fixture.client, { migrationsFolder: folder }))).message).toContain(
      '<PROVIDER NOT FOUND>',
    );

    fs.writeFileSync(path.join(folder, 'migration_lock.toml'), 'provider = "sqlite"\r\n');
    expect(await migrate(fixture.client, { migrationsFolder: folder })).toEqual({ appliedMigrationNames: [INIT.name] });
  });

  it('a database that has tables but no _prisma_migrations (P3005), touching nothing', async () => {
    const fixture = await clients.open('local');
    await fixture.client.execute('CREATE TABLE legacy (id INTEGER PRIMARY KEY)');
    const folder = writeMigrationsFolder(fixture.dir, [INIT]);
    const error = await rejection(migrate(fixture.client, { migrationsFolder: folder }));
    expect(error.code).toBe('P3005');
    expect(await tableNames(fixture.client)).toEqual(['legacy']);
  });

  it('a pending migration without a migration.sql (P3015), after applying the ones before it', async () => {
    const fixture = await clients.open('local');
    const folder = writeMigrationsFolder(fixture.dir, [INIT]);
    fs.mkdirSync(path.join(folder, POSTS.name));
    const error = await rejection(migrate(fixture.client, { migrationsFolder: folder }));
    expect(error.code).toBe('P3015');
    expect(error.migrationNames).toEqual([POSTS.name]);
    expect(error.message).toContain(path.join(folder, POSTS.name, 'migration.sql'));
    expect((await history(fixture.client)).map((r) => r.migration_name)).toEqual([INIT.name]);
  });

  it('a migration.sql that commits its transaction: failed locally, refused by the primary via a replica', async () => {
    const local = await clients.open('local');
    const folder = writeMigrationsFolder(local.dir, [INIT, { name: POSTS.name, sql: `${POSTS.sql}COMMIT;\n` }]);
    const error = await rejection(migrate(local.client, { migrationsFolder: folder }));
    expect(error.code).toBe('P3018');
    expect(error.message).toContain('ended the transaction');
    const rows = await history(local.client);
    expect(rows.map((r) => [r.migration_name, r.finished_at])).toEqual([
      [INIT.name, expect.anything()],
      [POSTS.name, null],
    ]);
    expect(rows[1]!.logs).toContain(
      `Migration name: ${POSTS.name}\n\nDatabase error code: none\n\nDatabase error:\nmigration.sql ended the ` +
        `transaction`,
    );
    expect((await rejection(migrate(local.client, { migrationsFolder: folder }))).code).toBe('P3009');

    // The primary refuses transaction control inside a transaction: nothing of the migration runs or is recorded.
    const replica = await clients.open('replica');
    const refused = await migrate(replica.client, { migrationsFolder: folder }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(LibsqlError);
    expect((refused as LibsqlError).code).toBe('PRIMARY_ERROR');
    expect((refused as LibsqlError).message).toContain('TRANSACTION_CONTROL');
    expect((await history(replica.client)).map((r) => r.migration_name)).toEqual([INIT.name]);
    expect(await tableNames(replica.client)).not.toContain('Post');
  });

  it('bad arguments with TypeErrors, before touching the database', async () => {
    const fixture = await clients.open('local');
    await expect(migrate(fixture.client, { migrationsFolder: path.join(fixture.dir, 'missing') })).rejects.toThrow(
      new TypeError(
        `Expected the "migrationsFolder" option to be a directory: ENOENT: no such file or directory, scandir ` +
          `'${path.join(fixture.dir, 'missing')}'`,
      ),
    );
    await expect(migrate(fixture.client, {} as never)).rejects.toThrow(
      new TypeError('Expected the "migrationsFolder" option to be a non-empty string'),
    );
    await expect(migrate(fixture.client, undefined as never)).rejects.toThrow(
      new TypeError('Expected the "options" argument to be an object'),
    );
    await expect(migrate({} as never, { migrationsFolder: fixture.dir })).rejects.toThrow(
      new TypeError('Expected the first argument to be a wasmlite Client'),
    );
    expect(await tableNames(fixture.client)).toEqual([]);
  });
});
