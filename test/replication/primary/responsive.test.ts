import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrimary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call, LogReader } from './http.ts';

const CHILD = fileURLToPath(new URL('./primary-child.ts', import.meta.url));
/** A statement that would run for minutes: a billion steps of a recursive CTE. */
const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1e9) SELECT count(*) FROM c';
/** How long the statement runs: the statement timeout interrupts it then. */
const STATEMENT_MS = 10_000;
/** Far above what a free event loop takes, far below the statement: SQL on the HTTP thread fails it. */
const PROMPT_MS = 1000;

async function startChild(file: string, options: object): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
  if (!line.startsWith('url ')) throw new Error(line);
  return { child, url: line.slice(4) };
}

/** The txid of a position's text (`<txid hex>/<checksum hex>`). */
const txidOf = (position: string): bigint => BigInt(`0x${position.split('/')[0]}`);

/** The `p` quantile (0..1) of `values`. */
function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

describe('a primary running a long statement', () => {
  const temp = useTempDir();
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('answers /health, /status and its log stream promptly while a 10 s statement runs', async () => {
    const { child, url } = await startChild(path.join(temp.dir, 'app.db'), {
      tokens: { write: ['w'], read: ['r'] },
      statementTimeoutMs: STATEMENT_MS,
      heartbeatMs: 100,
    });
    children.push(child);
    expect((await call(url, '/v1/execute', { sql: 'CREATE TABLE t (x)' }, 'w')).status).toBe(200);
    const stream = await LogReader.open(url, 1n, 'r');
    await stream.until(() => stream.records.length === 1);

    for (const token of ['w', 'r']) {
      const started = performance.now();
      const statement = call(url, '/v1/execute', { sql: ENDLESS }, token).then((answer) => ({
        answer,
        ms: performance.now() - started,
      }));
      let done = false;
      void statement.then(() => (done = true));
      const heartbeatsBefore = stream.heartbeats;
      const latencies: number[] = [];
      while (!done) {
        const asked = performance.now();
        const health = await call(url, '/health');
        latencies.push(performance.now() - asked);
        expect(health.status).toBe(200);
        expect((await call(url, '/status', undefined, 'r')).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { answer, ms } = await statement;
      // The statement did run its full 10 s (then the timeout interrupted it), on the writer or a read connection.
      expect(answer.body.error.code).toBe('STATEMENT_TIMEOUT');
      expect(ms).toBeGreaterThan(STATEMENT_MS - 500);
      expect(latencies.length).toBeGreaterThan(20);
      expect(Math.max(...latencies)).toBeLessThan(PROMPT_MS);
      // Heartbeats every 100 ms kept coming on the log stream meanwhile.
      expect(stream.heartbeats - heartbeatsBefore).toBeGreaterThan(STATEMENT_MS / 100 / 4);
      console.log(
        `/health during a ${Math.round(ms)} ms statement (${token === 'w' ? 'write' : 'read'} token): ` +
          `${latencies.length} polls, p50 ${quantile(latencies, 0.5).toFixed(1)} ms, ` +
          `p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
      );
    }
    // And the primary writes and streams as before once it is over.
    expect((await call(url, '/v1/execute', { sql: 'INSERT INTO t VALUES (1)' }, 'w')).status).toBe(200);
    await stream.until(() => stream.records.length === 2);
    stream.close();
  }, 60_000);

  it('interrupts the statement of a client that went away, so the requests behind it run at once', async () => {
    const primary = await startPrimary({ path: path.join(temp.dir, 'app.db'), statementTimeoutMs: 600_000 });
    try {
      expect((await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (x)' })).status).toBe(200);
      const position = primary.position().toString();
      const client = new AbortController();
      const abandoned = fetch(`${primary.url}/v1/execute`, {
        method: 'POST',
        body: JSON.stringify({ sql: ENDLESS.replace('SELECT count(*)', 'INSERT INTO t SELECT x') }),
        signal: client.signal,
      }).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 500));
      client.abort();
      await abandoned;
      // The writer is free again at once, and nothing of the abandoned insert was committed.
      const asked = performance.now();
      const next = await call(primary.url, '/v1/execute', { sql: 'INSERT INTO t VALUES (1)' });
      expect(next.status).toBe(200);
      expect(performance.now() - asked).toBeLessThan(PROMPT_MS * 3);
      expect((await call(primary.url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows).toEqual([[1]]);
      expect(primary.position().txid).toBe(txidOf(position) + 1n);
    } finally {
      await primary.close();
    }
  }, 30_000);

  it('closes at once, interrupting the statement under way, and restarts with nothing of it', async () => {
    const file = path.join(temp.dir, 'app.db');
    const primary = await startPrimary({ path: file, statementTimeoutMs: 600_000 });
    expect((await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (x)' })).status).toBe(200);
    const position = primary.position().toString();
    // A write that would run for minutes: the billion-row insert.
    const statement = call(primary.url, '/v1/execute', {
      sql: ENDLESS.replace('SELECT count(*)', 'INSERT INTO t SELECT x'),
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const asked = performance.now();
    await primary.close();
    expect(performance.now() - asked).toBeLessThan(PROMPT_MS * 3);
    await statement;
    const again = await startPrimary({ path: file });
    try {
      expect(again.position().toString()).toBe(position);
      expect((await call(again.url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows).toEqual([[0]]);
    } finally {
      await again.close();
    }
  }, 30_000);
});
