import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { Position } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call, LogReader } from './http.ts';

const CHILD = path.join(import.meta.dirname, '..', '..', 'support', 'full-disk-primary.ts');

/**
 * Starts full-disk-primary.ts in a mount namespace of its own (`unshare`; mapped to root in a user
 * namespace when the tests do not run as root) with a real 1 MiB tmpfs at `dir`, so that the
 * log's writes meet a real ENOSPC, and nothing leaks outside the child.
 */
function startFullDiskPrimary(
  dir: string,
  db: string,
  room: number,
): { child: ChildProcess; line: () => Promise<string> } {
  const namespace = process.getuid?.() === 0 ? ['--mount'] : ['--mount', '--map-root-user'];
  const script = 'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$@"';
  const child = spawn(
    'unshare',
    [...namespace, 'sh', '-c', script, dir, process.execPath, '--import', 'tsx', CHILD, dir, db, String(room)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const wake = waiting.shift();
    if (wake === undefined) lines.push(line);
    else wake(line);
  });
  return {
    child,
    line: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((resolve) => waiting.push(resolve))),
  };
}

describe('a primary whose disk is full', () => {
  const temp = useTempDir();
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.stdin!.end();
      await exited;
    }
    child = undefined;
  });

  it('answers 507 SQLITE_FULL with errno ENOSPC, keeps serving, loses nothing and writes again once space returns', async () => {
    const mounted = temp.file('tmpfs');
    fs.mkdirSync(mounted);
    const started = startFullDiskPrimary(mounted, temp.file('app.db'), 64 * 1024);
    child = started.child;
    const url = /^url (\S+)$/.exec(await started.line())![1]!;
    expect((await call(url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)' })).status).toBe(
      200,
    );

    let full: { status: number; body: any } | undefined;
    let written = 0;
    for (let i = 0; i < 100 && full === undefined; i++) {
      const answer = await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (randomblob(10000))' });
      if (answer.status === 200) written++;
      else full = answer;
    }
    expect(full?.status).toBe(507);
    expect(full?.body.error).toMatchObject({
      code: 'SQLITE_FULL',
      errno: 'ENOSPC',
      message: 'database or disk is full',
    });
    // Still up, nothing of the refused write kept, the acknowledged ones all there.
    expect((await call(url, '/health')).body.ok).toBe(true);
    expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows).toEqual([[written]]);
    expect((await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (randomblob(10000))' })).status).toBe(507);

    child.stdin!.write('free\n');
    expect(await started.line()).toBe('freed');
    const after = await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (randomblob(10000))' });
    expect(after.status).toBe(200);
    // One txid past the last acknowledged write: the refused ones left no gap and no record.
    expect(Position.parse(after.body.position).txid).toBe(BigInt(written) + 2n);
    const reader = await LogReader.open(url, 1n);
    try {
      await reader.until(() => reader.records.length === written + 2);
      reader.records.forEach((record, i) => {
        expect(record.txid).toBe(BigInt(i + 1));
        if (i > 0) expect(record.preChecksum).toEqual(reader.records[i - 1]!.postChecksum);
      });
    } finally {
      reader.close();
    }
  });
});
