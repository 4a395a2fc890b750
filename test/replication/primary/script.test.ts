import { describe, expect, it } from 'vitest';
import { Position } from '../../../replication/log/index.ts';
import { call } from './http.ts';
import { usePrimary } from './use-primary.ts';

describe('POST /v1/script', () => {
  const { start: startPrimary } = usePrimary();

  async function start(): Promise<string> {
    const primary = await startPrimary({ tokens: { write: ['w'], read: ['r'] } });
    return primary.url;
  }

  it('runs the statements in order, one commit each, and answers the position after them', async () => {
    const url = await start();
    const answer = await call(
      url,
      '/v1/script',
      { sql: 'CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);' },
      'w',
    );
    expect(answer.status).toBe(200);
    expect(Position.parse(answer.body.position).txid).toBe(3n);
    expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' }, 'r')).body.rows).toEqual([[2]]);
  });

  it('rolls back a transaction the script leaves open, refuses ATTACH and mode changes, and restores foreign keys', async () => {
    const url = await start();
    await call(
      url,
      '/v1/script',
      { sql: 'CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p REFERENCES p(id));' },
      'w',
    );
    const open = await call(url, '/v1/script', { sql: 'BEGIN; INSERT INTO p VALUES (1);' }, 'w');
    expect(open.status).toBe(400);
    expect(open.body.error.message).toMatch(/left a transaction open/);
    expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM p' }, 'r')).body.rows).toEqual([[0]]);

    const attach = await call(url, '/v1/script', { sql: "INSERT INTO p VALUES (2); ATTACH 'other.db' AS other;" }, 'w');
    expect([attach.status, attach.body.error.code, attach.body.error.action]).toEqual([
      403,
      'FORBIDDEN_ACTION',
      'ATTACH',
    ]);
    expect((await call(url, '/v1/script', { sql: 'PRAGMA journal_mode = delete;' }, 'w')).body.error).toMatchObject({
      code: 'FORBIDDEN_ACTION',
      action: 'PRAGMA journal_mode',
    });

    // A script that turns foreign keys off and forgets to turn them on leaves them on.
    expect(
      (await call(url, '/v1/script', { sql: 'PRAGMA foreign_keys = OFF; INSERT INTO c VALUES (99);' }, 'w')).status,
    ).toBe(200);
    const orphan = await call(url, '/v1/execute', { sql: 'INSERT INTO c VALUES (98)' }, 'w');
    expect(orphan.body.error.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
  });

  it('refuses a read token (403) and a malformed body (400), and stays healthy', async () => {
    const url = await start();
    expect((await call(url, '/v1/script', { sql: 'SELECT 1;' }, 'r')).status).toBe(403);
    expect((await call(url, '/v1/script', { sql: 1 }, 'w')).status).toBe(400);
    expect((await call(url, '/v1/script', { sql: 'SELECT 1', extra: true }, 'w')).status).toBe(400);
    expect((await call(url, '/health')).status).toBe(200);
  });
});
