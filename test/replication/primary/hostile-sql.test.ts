import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { call } from './http.ts';
import { usePrimary } from './use-primary.ts';

const WRITE = 'write-token';
const READ = 'read-token';

/** Connection settings a remote client tried to change; each would have stuck on a shared connection. */
const STATE_PRAGMAS = [
  'PRAGMA foreign_keys = OFF',
  'PRAGMA ignore_check_constraints = 1',
  'PRAGMA query_only = 1',
  'PRAGMA locking_mode = EXCLUSIVE',
  'PRAGMA [locking_mode]=EXCLUSIVE',
  'PRAGMA "journal_mode"=DELETE',
  'PRAGMA main.journal_mode = MEMORY',
  'PRAGMA synchronous = OFF',
  'PRAGMA wal_autocheckpoint = 0',
  'PRAGMA writable_schema = ON',
  'PRAGMA max_page_count = 1',
  'PRAGMA cache_size = -1000000',
  'PRAGMA busy_timeout = 0',
  'PRAGMA recursive_triggers = ON',
  'PRAGMA defer_foreign_keys = ON',
  'PRAGMA case_sensitive_like = ON',
  'PRAGMA temp_store = MEMORY',
  'PRAGMA mmap_size = 268435456',
  'PRAGMA schema_version = 1',
  'PRAGMA wal_checkpoint(TRUNCATE)',
  'PRAGMA foreign_keys = no',
  '/* comment */ PRAGMA Foreign_Keys=0',
  ';PRAGMA foreign_keys = OFF',
];

/** What ORMs and migration tools read to introspect a schema; a read token may run each. */
const INTROSPECTION = [
  'PRAGMA table_info(child)',
  'PRAGMA table_xinfo("child")',
  'PRAGMA index_list(child)',
  'PRAGMA index_info(child_v)',
  'PRAGMA index_xinfo(child_v)',
  'PRAGMA foreign_key_list(child)',
  'PRAGMA foreign_key_check',
  'PRAGMA foreign_key_check(child)',
  'PRAGMA integrity_check',
  'PRAGMA quick_check',
  'PRAGMA database_list',
  'PRAGMA collation_list',
  'PRAGMA function_list',
  'PRAGMA pragma_list',
  'PRAGMA compile_options',
  'PRAGMA page_count',
  'PRAGMA page_size',
  'PRAGMA schema_version',
  'PRAGMA user_version',
  'PRAGMA data_version',
  'PRAGMA freelist_count',
  'PRAGMA foreign_keys',
  'PRAGMA synchronous',
  "SELECT name, type FROM pragma_table_info('child')",
  "SELECT * FROM pragma_index_list('child')",
  "SELECT m.name, p.* FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) p WHERE m.type = 'table'",
  // drizzle-kit's introspection
  "SELECT m.name, p.name, p.hidden FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p WHERE m.type = 'table'",
  "SELECT il.name, ii.name FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii WHERE m.type = 'table'",
  // ORM connection setup: turning foreign keys on changes nothing here
  'PRAGMA foreign_keys = ON',
  'PRAGMA foreign_keys = 1',
];

describe("remote SQL under the primary's authorizer", () => {
  const { temp, start: startPrimary } = usePrimary();

  async function start(): Promise<string> {
    const primary = await startPrimary({ tokens: { write: [WRITE], read: [READ] } });
    const { url } = primary;
    const created = await call(
      url,
      '/v1/script',
      {
        sql: `CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent REFERENCES parent(id), v INTEGER CHECK (v >= 0));
            CREATE INDEX child_v ON child(v);
            INSERT INTO parent VALUES (1);`,
      },
      WRITE,
    );
    expect(created.status).toBe(200);
    return url;
  }

  /** The writer connection still enforces everything, writes, and has not left WAL. */
  async function expectWriterIntact(url: string): Promise<void> {
    const orphan = await call(url, '/v1/execute', { sql: 'INSERT INTO child (parent, v) VALUES (99, 1)' }, WRITE);
    expect(orphan.body.error.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    const negative = await call(url, '/v1/execute', { sql: 'INSERT INTO child (parent, v) VALUES (1, -1)' }, WRITE);
    expect(negative.body.error.code).toBe('SQLITE_CONSTRAINT_CHECK');
    const write = await call(url, '/v1/execute', { sql: 'INSERT INTO child (parent, v) VALUES (1, 1)' }, WRITE);
    expect(write.status).toBe(200);
    const settings = await call(
      url,
      '/v1/execute',
      { sql: 'SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_locking_mode' },
      WRITE,
    );
    expect(settings.body.rows).toEqual([['wal', 2, 'normal']]);
    const snapshot = await fetch(`${url}/v1/snapshot`, {
      headers: { authorization: `Bearer ${READ}` },
      signal: AbortSignal.timeout(5000),
    });
    expect(snapshot.status).toBe(200);
    await snapshot.arrayBuffer();
  }

  it('refuses every connection-state pragma, from either token, with 403 FORBIDDEN_ACTION naming it, and changes nothing', async () => {
    const url = await start();
    for (const token of [READ, WRITE]) {
      for (const sql of STATE_PRAGMAS) {
        const answer = await call(url, '/v1/execute', { sql }, token);
        expect([answer.status, answer.body.error?.code], `${sql} with ${token}`).toEqual([403, 'FORBIDDEN_ACTION']);
        expect(answer.body.error.action).toMatch(/^PRAGMA [a-z_]+$/);
        expect(answer.body.error.message).toMatch(/refused/);
      }
    }
    const quoted = await call(url, '/v1/execute', { sql: 'PRAGMA "journal_mode"=DELETE' }, WRITE);
    expect(quoted.body.error).toMatchObject({ action: 'PRAGMA journal_mode', rawCode: 23 });
    // In a batch and in a transaction, from either token, the same refusal.
    const batch = await call(
      url,
      '/v1/batch',
      { statements: [{ sql: 'SELECT 1' }, { sql: 'PRAGMA foreign_keys = OFF' }] },
      READ,
    );
    expect([batch.status, batch.body.error.code, batch.body.error.statementIndex]).toEqual([
      403,
      'FORBIDDEN_ACTION',
      1,
    ]);
    const { id } = (await call(url, '/v1/transactions', { mode: 'read' }, READ)).body;
    expect((await call(url, `/v1/transactions/${id}/execute`, { sql: 'PRAGMA query_only = 1' }, READ)).status).toBe(
      403,
    );
    await call(url, `/v1/transactions/${id}/rollback`, undefined, READ, '');
    await expectWriterIntact(url);
  });

  it('refuses ATTACH, even after a semicolon, so no other file is read or created', async () => {
    const url = await start();
    const secretPath = path.join(temp.dir, 'secret.db');
    const secret = await open(secretPath);
    secret.exec("CREATE TABLE secrets (s); INSERT INTO secrets VALUES ('hunter2')");
    secret.close();
    const created = path.join(temp.dir, 'created.db');
    for (const token of [READ, WRITE]) {
      for (const sql of [
        `;ATTACH '${secretPath}' AS s`,
        `ATTACH DATABASE '${created}' AS c`,
        `  /* x */ ATTACH '${created}' AS "c"`,
      ]) {
        const answer = await call(url, '/v1/execute', { sql }, token);
        expect([answer.status, answer.body.error.code, answer.body.error.action], sql).toEqual([
          403,
          'FORBIDDEN_ACTION',
          'ATTACH',
        ]);
      }
      expect((await call(url, '/v1/execute', { sql: 'SELECT * FROM s.secrets' }, token)).body.error.message).toMatch(
        /no such table/,
      );
      expect((await call(url, '/v1/execute', { sql: 'DETACH main' }, token)).body.error.code).toBe('FORBIDDEN_ACTION');
    }
    const script = await call(
      url,
      '/v1/script',
      { sql: `INSERT INTO parent VALUES (2); ATTACH '${created}' AS c; INSERT INTO parent VALUES (3);` },
      WRITE,
    );
    expect(script.body.error.code).toBe('FORBIDDEN_ACTION');
    expect(
      (await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM pragma_database_list' }, READ)).body.rows,
    ).toEqual([[1]]);
    expect(fs.existsSync(created)).toBe(false);
    await expectWriterIntact(url);
  });

  it('refuses TEMP triggers, tables and views however they are named, so none outlives its request', async () => {
    const url = await start();
    await call(url, '/v1/execute', { sql: 'INSERT INTO child (id, parent, v) VALUES (1, 1, 5)' }, WRITE);
    const attempts = [
      'CREATE TEMP TRIGGER rewrite AFTER INSERT ON child BEGIN UPDATE child SET v = 0; END',
      'CREATE TRIGGER temp.rewrite AFTER INSERT ON child BEGIN UPDATE child SET v = 0; END',
      'CREATE TEMPORARY TABLE scratch (x)',
      'CREATE TABLE temp.scratch (x)',
      'CREATE TEMP VIEW everything AS SELECT * FROM child',
    ];
    for (const sql of attempts) {
      const answer = await call(url, '/v1/execute', { sql }, WRITE);
      expect([answer.status, answer.body.error.code], sql).toEqual([403, 'FORBIDDEN_ACTION']);
      expect(answer.body.error.action).toMatch(/^CREATE TEMP/);
    }
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' }, WRITE)).body;
    expect((await call(url, `/v1/transactions/${id}/execute`, { sql: attempts[0] }, WRITE)).status).toBe(403);
    await call(url, `/v1/transactions/${id}/commit`, undefined, WRITE, '');
    expect(
      (await call(url, '/v1/execute', { sql: 'INSERT INTO child (id, parent, v) VALUES (2, 1, 7)' }, WRITE)).status,
    ).toBe(200);
    expect((await call(url, '/v1/execute', { sql: 'SELECT id, v FROM child ORDER BY id' }, READ)).body.rows).toEqual([
      [1, 5],
      [2, 7],
    ]);
    expect(
      (await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM sqlite_temp_schema' }, WRITE)).body.rows,
    ).toEqual([[0]]);
  });

  it('refuses VACUUM INTO a file and loading extensions, and runs a plain VACUUM', async () => {
    const url = await start();
    const copy = path.join(temp.dir, 'copy.db');
    const into = await call(url, '/v1/execute', { sql: `VACUUM INTO '${copy}'` }, WRITE);
    expect([into.status, into.body.error.code, into.body.error.action]).toEqual([
      403,
      'FORBIDDEN_ACTION',
      'VACUUM INTO',
    ]);
    expect(fs.existsSync(copy)).toBe(false);
    const extension = await call(url, '/v1/execute', { sql: "SELECT load_extension('/tmp/evil.so')" }, READ);
    expect(extension.status).toBeGreaterThanOrEqual(400);
    expect(extension.status).toBeLessThan(500);
    const rawPage = await call(
      url,
      '/v1/execute',
      { sql: 'UPDATE sqlite_dbpage SET data = zeroblob(4096) WHERE pgno = 2' },
      WRITE,
    );
    expect([rawPage.status, rawPage.body.error.code]).toEqual([403, 'FORBIDDEN_ACTION']);
    const vacuum = await call(url, '/v1/execute', { sql: 'VACUUM' }, WRITE);
    expect(vacuum.status).toBe(200);
    expect((await call(url, '/v1/script', { sql: 'INSERT INTO parent VALUES (5); VACUUM;' }, WRITE)).status).toBe(200);
    const scripted = await call(url, '/v1/script', { sql: `VACUUM INTO '${copy}';` }, WRITE);
    expect([scripted.status, scripted.body.error.action]).toEqual([403, 'VACUUM INTO']);
    expect(fs.existsSync(copy)).toBe(false);
    expect((await call(url, '/v1/execute', { sql: 'PRAGMA integrity_check' }, READ)).body.rows).toEqual([['ok']]);
    await expectWriterIntact(url);
  });

  it('lets a read token run the introspection pragmas ORMs use, as statements and as table-valued functions', async () => {
    const url = await start();
    for (const sql of INTROSPECTION) {
      const answer = await call(url, '/v1/execute', { sql }, READ);
      expect(answer.status, `${sql}: ${JSON.stringify(answer.body.error)}`).toBe(200);
    }
    expect(
      (await call(url, '/v1/execute', { sql: "SELECT name FROM pragma_table_info('child') ORDER BY cid" }, READ)).body
        .rows,
    ).toEqual([['id'], ['parent'], ['v']]);
  });

  it('lets a write token version the schema with user_version, and a read token only read it', async () => {
    const url = await start();
    expect((await call(url, '/v1/execute', { sql: 'PRAGMA user_version = 7' }, WRITE)).status).toBe(200);
    expect((await call(url, '/v1/execute', { sql: 'PRAGMA user_version = 8' }, READ)).body.error.code).toBe(
      'READ_ONLY_TOKEN',
    );
    expect((await call(url, '/v1/execute', { sql: 'PRAGMA user_version' }, READ)).body.rows).toEqual([[7]]);
  });

  it('runs the schema changes migrations make (rename, add column, triggers, views, indexes) for a write token', async () => {
    const url = await start();
    const script = `ALTER TABLE child RENAME TO kid; ALTER TABLE kid ADD COLUMN note TEXT; ALTER TABLE kid RENAME COLUMN note TO remark;
      CREATE TRIGGER kid_audit AFTER INSERT ON kid BEGIN UPDATE kid SET remark = 'seen' WHERE id = new.id; END;
      CREATE VIEW kids AS SELECT id, remark FROM kid; CREATE INDEX kid_remark ON kid(remark); DROP INDEX child_v;
      INSERT INTO kid (parent, v) VALUES (1, 1);`;
    expect((await call(url, '/v1/script', { sql: script }, WRITE)).status).toBe(200);
    expect((await call(url, '/v1/execute', { sql: 'SELECT remark FROM kids' }, READ)).body.rows).toEqual([['seen']]);
  });

  it('takes foreign key pragmas inside a write transaction, where they cannot outlive it, and not outside', async () => {
    const url = await start();
    const { id } = (await call(url, '/v1/transactions', { mode: 'write' }, WRITE)).body;
    expect(
      (await call(url, `/v1/transactions/${id}/execute`, { sql: 'PRAGMA foreign_keys = OFF' }, WRITE)).status,
    ).toBe(200);
    expect(
      (await call(url, `/v1/transactions/${id}/execute`, { sql: 'PRAGMA defer_foreign_keys = ON' }, WRITE)).status,
    ).toBe(200);
    expect((await call(url, `/v1/transactions/${id}/commit`, undefined, WRITE, '')).status).toBe(200);
    // The same text outside a transaction is refused: the statement let through above was not kept.
    expect((await call(url, '/v1/execute', { sql: 'PRAGMA foreign_keys = OFF' }, WRITE)).status).toBe(403);
    const batch = await call(
      url,
      '/v1/batch',
      { statements: [{ sql: 'PRAGMA foreign_keys = OFF' }, { sql: 'SELECT 1' }], mode: 'write' },
      WRITE,
    );
    expect(batch.status).toBe(200);
    await expectWriterIntact(url);
  });
});
