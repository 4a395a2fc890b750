// The cross-runtime smoke run (test/runtimes/runtimes.test.ts starts it on Node 22, Node 24, Bun
// and Deno): the quickstart's path through the public entry points only, so that it checks
// whatever loads the engine on each runtime. It asserts as it goes, exits non-zero on the first
// failure, and prints one JSON line with what it saw.
//
//   node --conditions=source --import tsx test/runtimes/smoke.ts /tmp/some-empty-dir
//   bun --conditions=source test/runtimes/smoke.ts /tmp/some-empty-dir
//   deno run --allow-read --allow-write --allow-net --allow-sys=hostname --conditions=source test/runtimes/smoke.ts /tmp/some-empty-dir
import assert from 'node:assert/strict';
import path from 'node:path';
import process from 'node:process';
import { Kysely, type Generated } from 'kysely';
import { createClient, open, SqliteError } from 'wasmlite';
import { WasmliteDialect } from 'wasmlite/kysely';
import { startPrimary } from 'wasmlite/replication';

const dir = process.argv[2];
if (dir === undefined) throw new TypeError('usage: smoke.ts <empty directory>');

/** Which runtime this is, by the globals each one defines. */
function runtime(): string {
  const globals = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (globals.Bun) return `bun ${globals.Bun.version}`;
  if (globals.Deno) return `deno ${globals.Deno.version.deno}`;
  return `node ${process.versions.node}`;
}

async function database(): Promise<string> {
  const file = path.join(dir!, 'local.db');
  const db = await open(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE, avatar BLOB)');
  const insert = db.prepare('INSERT INTO users (name, avatar) VALUES (?, ?)');
  const insertAll = db.transaction((names: string[]) =>
    names.forEach((name) => insert.run(name, new Uint8Array([1, 2, 3]))),
  );
  insertAll(['Ada', 'Grace']);
  const isUniqueViolation = (error: unknown) =>
    error instanceof SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
  assert.throws(() => insert.run('Ada', null), isUniqueViolation);
  const version = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();

  const again = await open(file, { readonly: true });
  type User = { id: number; name: string; avatar: Uint8Array };
  const row = again.prepare('SELECT id, name, avatar FROM users WHERE name = ?').get('Grace') as User;
  assert.deepEqual({ ...row, avatar: [...row.avatar] }, { id: 2, name: 'Grace', avatar: [1, 2, 3] });
  again.close();
  return version;
}

async function client(): Promise<void> {
  const local = createClient({ url: `file:${path.join(dir!, 'local.db')}` });
  try {
    const [inserted, counted] = await local.batch(
      [{ sql: 'INSERT INTO users (name) VALUES (?)', args: ['Linus'] }, 'SELECT count(*) AS n FROM users'],
      'write',
    );
    assert.equal(inserted!.lastInsertRowid, 3n);
    assert.equal(counted!.rows[0]!.n, 3);
    const rs = await local.execute({ sql: 'SELECT name FROM users WHERE id = ?', args: [1] });
    assert.deepEqual(rs.columns, ['name']);
    assert.equal(rs.rows[0]!.name, 'Ada');
  } finally {
    local.close();
  }
}

async function replica(): Promise<string> {
  const primary = await startPrimary({ path: path.join(dir!, 'primary.db') });
  const writer = createClient({ url: `file:${path.join(dir!, 'replica-1.db')}`, syncUrl: primary.url });
  const reader = createClient({ url: `file:${path.join(dir!, 'replica-2.db')}`, syncUrl: primary.url });
  try {
    await writer.execute('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    await writer.execute({ sql: 'INSERT INTO notes (body) VALUES (?)', args: ['from a replica'] });
    // Read-your-writes on the replica that forwarded the write, then the other replica catches up.
    assert.equal((await writer.execute('SELECT body FROM notes')).rows[0]!.body, 'from a replica');
    await reader.sync();
    assert.equal((await reader.execute('SELECT count(*) AS n FROM notes')).rows[0]!.n, 1);
    assert.equal(primary.position().txid, 2n);
    return writer.bookmark!;
  } finally {
    writer.close();
    reader.close();
    await primary.close();
  }
}

interface Schema {
  person: { id: Generated<number>; name: string };
}

async function kysely(): Promise<void> {
  const db = new Kysely<Schema>({ dialect: new WasmliteDialect({ url: `file:${path.join(dir!, 'kysely.db')}` }) });
  try {
    await db.schema
      .createTable('person')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute();
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('person')
        .values([{ name: 'Ada' }, { name: 'Grace' }])
        .execute();
    });
    const people = await db.selectFrom('person').select(['id', 'name']).orderBy('id').execute();
    assert.deepEqual(people, [
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Grace' },
    ]);
  } finally {
    await db.destroy();
  }
}

const sqlite = await database();
await client();
const bookmark = await replica();
await kysely();
process.stdout.write(`${JSON.stringify({ runtime: runtime(), sqlite, bookmark })}\n`);
