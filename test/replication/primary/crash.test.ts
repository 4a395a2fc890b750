import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../../core/vfs/index.ts';
import { WalCapture } from '../../../replication/capture/index.ts';
import { Position, TransactionLog } from '../../../replication/log/index.ts';
import { startPrimary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from './http.ts';

const CHILD = fileURLToPath(new URL('./primary-child.ts', import.meta.url));

/** Starts primary-child.ts; resolves with the process and its URL. */
async function startChild(file: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
  if (!line.startsWith('url ')) throw new Error(line);
  return { child, url: line.slice(4) };
}

describe('a primary killed with SIGKILL', () => {
  const temp = useTempDir();

  it('keeps every acknowledged write, with the log and the database at the same position', async () => {
    const file = path.join(temp.dir, 'app.db');
    const first = await startChild(file);
    expect(
      (await call(first.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, w INTEGER, v BLOB)' }))
        .status,
    ).toBe(200);
    const acknowledged: number[] = [];
    let next = 1;
    let killed = false;
    const writers = Array.from({ length: 6 }, async (_, w) => {
      while (!killed) {
        const id = next++;
        try {
          const response = await call(
            first.url,
            w % 2 === 0 ? '/v1/execute' : '/v1/batch',
            w % 2 === 0
              ? { sql: 'INSERT INTO t VALUES (?, ?, randomblob(3000))', args: [id, w] }
              : { statements: [{ sql: 'INSERT INTO t VALUES (?, ?, randomblob(3000))', args: [id, w] }] },
          );
          if (response.status === 200) acknowledged.push(id);
        } catch {
          return; // the connection died with the process
        }
      }
    });
    while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(writers);
    await new Promise((r) =>
      first.child.exitCode !== null || first.child.signalCode !== null ? r(null) : first.child.once('exit', r),
    );

    const second = await startChild(file);
    try {
      const rows = (await call(second.url, '/v1/execute', { sql: 'SELECT id FROM t' })).body.rows as number[][];
      const present = new Set(rows.map(([id]) => id));
      const missing = acknowledged.filter((id) => !present.has(id));
      expect(missing).toEqual([]);
      const status = (await call(second.url, '/status')).body;
      expect(Position.parse(status.position).txid.toString()).toBe(status.log.lastTxid);
      expect((await call(second.url, '/v1/execute', { sql: 'PRAGMA integrity_check' })).body.rows).toEqual([['ok']]);
      expect((await call(second.url, '/v1/execute', { sql: 'INSERT INTO t (w) VALUES (-1)' })).status).toBe(200);
    } finally {
      second.child.kill('SIGKILL');
    }
  });
});

describe('a primary whose log is ahead of its database', () => {
  const temp = useTempDir();

  it('applies the missing records to the file at startup', async () => {
    const file = path.join(temp.dir, 'app.db');
    let p = await startPrimary({ path: file });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (v TEXT)' });
    await call(p.url, '/v1/execute', { sql: "INSERT INTO t VALUES ('kept')" });
    await p.close();

    // The sink appends, then fails: the record is durable in the log, the commit never happens,
    // which is what a crash between the log append and the commit frame leaves behind.
    const log = TransactionLog.open(`${file}-log`);
    const capture = new WalCapture({
      dbId: log.dbId!,
      epoch: 1n,
      sink: (record) => {
        log.append(record);
        throw new Error('crash after the log append');
      },
    });
    const stop = defaultVfs(await loadEngine()).observe(file, capture);
    const db = await open(file);
    capture.start(db, log.lastPosition());
    expect(() => db.exec("INSERT INTO t VALUES ('from the log')")).toThrow();
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
    db.close();
    stop();
    const ahead = log.lastPosition()!;
    log.close();
    expect(ahead.txid).toBe(3n);

    p = await startPrimary({ path: file });
    try {
      expect(p.position().equals(ahead)).toBe(true);
      const rows = (await call(p.url, '/v1/execute', { sql: 'SELECT v FROM t ORDER BY rowid' })).body.rows;
      expect(rows).toEqual([['kept'], ['from the log']]);
      const next = await call(p.url, '/v1/execute', { sql: "INSERT INTO t VALUES ('after')" });
      expect(Position.parse(next.body.position).txid).toBe(4n);
    } finally {
      await p.close();
    }
  });
});
