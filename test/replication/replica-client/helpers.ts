import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from '../../../core/index.ts';
import { databaseChecksum } from '../../../replication/index.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'primary-child.ts');

/** A primary in a child process; `stop()` ends it with SIGTERM and waits. */
export async function spawnPrimary(
  file: string,
  port = 0,
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^url (\S+)$/m.exec(out);
      if (match) resolve(match[1]!);
      else if (/^error /m.test(out)) reject(new Error(out));
    });
    child.once('exit', (code) => reject(new Error(`primary child exited with ${code}: ${out}`)));
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The database as SQLite reads it (main file + WAL), through a fresh connection. */
export async function liveChecksum(file: string): Promise<bigint> {
  const db = await open(file);
  try {
    const pages = db.prepare('SELECT data FROM sqlite_dbpage').pluck().all() as Uint8Array[];
    return databaseChecksum(Buffer.concat(pages), { pageSize: Number(db.pragma('page_size', { simple: true })) });
  } finally {
    db.close();
  }
}

/** The sum of `wasmlite_http_requests_total` over all statuses on the primary. */
export async function requestCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^wasmlite_http_requests_total\{[^}]*\} (\d+)$/gm)) total += Number(match[1]);
  return total;
}

/** Retries `check` until it resolves, for up to `ms`. */
export async function eventually<T>(check: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
