import fs from 'node:fs';
import { checkpoint } from '../cluster/cluster-nodes.ts';

/** Runs one statement on a primary with no token configured; resolves with its position. */
export async function execute(url: string, sql: string, args: unknown[] = []): Promise<string> {
  const response = await fetch(`${url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql, args }),
  });
  const body = (await response.json()) as { position?: string; error?: { message: string } };
  if (response.status !== 200) throw new Error(`primary: HTTP ${response.status} ${body.error?.message}`);
  return body.position!;
}

/** The primary's `/status` (no token). */
export async function status(url: string): Promise<{ position: string; archive: Record<string, any> | null }> {
  return (await (await fetch(`${url}/status`)).json()) as { position: string; archive: Record<string, any> | null };
}

export const txidOf = (position: string): bigint => BigInt(`0x${position.split('/')[0]}`);

/** Resolves once the primary's `/status` says its archive holds its position. */
export async function untilArchived(url: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(url);
    if (s.archive?.position === s.position) return s.position;
    if (Date.now() > deadline) throw new Error(`the archive did not reach ${s.position}: ${JSON.stringify(s.archive)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The bytes of a database file no process holds, checkpointed into one file. */
export async function fileBytes(file: string): Promise<Buffer> {
  await checkpoint(file);
  return fs.readFileSync(file);
}

/** A workload step chosen by `r` (0..1): inserts, updates, deletes, schema changes, VACUUM. */
export function workloadStatement(r: number, i: number): [string, unknown[]] {
  if (r < 0.4) return ['INSERT INTO t (v, b) VALUES (?, randomblob(?))', [`row ${i}`, 100 + ((i * 37) % 3000)]];
  if (r < 0.55) return ['UPDATE t SET v = v || ? WHERE id % 7 = ?', ['u', i % 7]];
  if (r < 0.65) return ['DELETE FROM t WHERE id % 5 = ?', [i % 5]];
  if (r < 0.78) return [`CREATE TABLE IF NOT EXISTS s${i % 4} AS SELECT id AS k, v AS w, b FROM t LIMIT 20`, []];
  if (r < 0.83) return [`DROP TABLE IF EXISTS s${(i + 2) % 4}`, []];
  if (r < 0.88) return [`CREATE INDEX IF NOT EXISTS t_v${i % 3} ON t (v)`, []];
  if (r < 0.92) return [`DROP INDEX IF EXISTS t_v${(i + 1) % 3}`, []];
  if (r < 0.95) return [`ALTER TABLE t ADD COLUMN c${i} TEXT DEFAULT 'x'`, []];
  return ['VACUUM', []];
}
