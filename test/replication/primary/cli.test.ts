import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from './http.ts';

const CLI = fileURLToPath(new URL('../../../replication/cli.ts', import.meta.url));

describe('replication/cli.ts primary', () => {
  const temp = useTempDir();

  it('serves with the tokens of a token file (write, read, replicate) and stops cleanly on SIGTERM', async () => {
    const tokens = path.join(temp.dir, 'tokens');
    fs.writeFileSync(tokens, '# tokens\nwrite-token\nread read-token\nreplicate replica-token\n');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'primary', path.join(temp.dir, 'app.db'), '--port', '0', '--token-file', tokens],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    const url = /(http:\/\/\S+),/.exec(line)![1]!;
    expect((await call(url, '/v1/execute', { sql: 'CREATE TABLE t (v)' }, 'read-token')).status).toBe(403);
    expect((await call(url, '/v1/execute', { sql: 'CREATE TABLE t (v)' }, 'write-token')).status).toBe(200);
    // A replica token reads and reports; a read token may not report.
    const report = { replica: 'r', name: 'r', position: (await call(url, '/health')).body.position, durable: true };
    expect((await call(url, '/v1/execute', { sql: 'SELECT * FROM t' }, 'replica-token')).status).toBe(200);
    expect((await call(url, '/v1/ack', report, 'replica-token')).status).toBe(200);
    expect((await call(url, '/v1/ack', report, 'read-token')).status).toBe(403);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('runs in quorum durability when asked, and refuses an unknown durability', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'primary', path.join(temp.dir, 'app.db'), '--port', '0', '--durability', 'quorum'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    expect(line).toContain('durability quorum');
    const url = /(http:\/\/\S+),/.exec(line)![1]!;
    expect((await call(url, '/status')).body.durability).toBe('quorum');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const wrong = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'primary', path.join(temp.dir, 'app.db'), '--durability', 'eventual'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    wrong.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => wrong.once('exit', resolve))).toBe(1);
    expect(stderr).toContain('Expected --durability to be async or quorum');
  });

  it('takes the response and statement limits as flags', async () => {
    const flags = ['--max-response-rows', '10', '--statement-timeout-ms', '200'];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'primary', path.join(temp.dir, 'app.db'), '--port', '0', ...flags],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    const url = /(http:\/\/\S+),/.exec(line)![1]!;
    const count = (n: number): string =>
      `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) `;
    expect((await call(url, '/v1/execute', { sql: `${count(10)}SELECT x FROM c` })).status).toBe(200);
    expect((await call(url, '/v1/execute', { sql: `${count(11)}SELECT x FROM c` })).body.error.code).toBe(
      'RESPONSE_TOO_LARGE',
    );
    expect((await call(url, '/v1/execute', { sql: `${count(1e9)}SELECT count(*) FROM c` })).body.error.code).toBe(
      'STATEMENT_TIMEOUT',
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const wrong = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'primary', path.join(temp.dir, 'app.db'), '--max-response-bytes', 'lots'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    wrong.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => wrong.once('exit', resolve))).toBe(1);
    expect(stderr).toContain('Expected --max-response-bytes to be a positive integer');
  });

  it('refuses a public host without a token', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'primary', path.join(temp.dir, 'app.db'), '--host', '0.0.0.0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(stderr).toContain('non-loopback host 0.0.0.0');
  });
});
