import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../core/index.ts';
import { startPrimary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { extraMigrations, INIT, writeMigrationsFolder } from './support/migrations.ts';

const CHILD = fileURLToPath(new URL('./support/migrate-child.ts', import.meta.url));

/** A child running migrate-child.ts: resolves once it has printed `ready`; `result` is its last line. */
async function startChild(
  file: string,
  url: string,
  folder: string,
): Promise<{ child: ChildProcess; result: Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, url, folder], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const received: string[] = [];
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      received.push(line);
      if (line === 'ready') resolve();
    });
    exited.then(
      ([code]) => reject(new Error(`migrate child exited with ${code} before it was ready: ${received.join('\n')}`)),
      reject,
    );
  });
  return { child, result: exited.then(([code]) => `${code} ${received.at(-1)}`) };
}

describe('migrate() from two processes at once through one primary', () => {
  const temp = useTempDir();

  it('applies each migration once: one row each, each applied by one run or the other, in order', async () => {
    const migrations = [INIT, ...extraMigrations(30)];
    const folder = writeMigrationsFolder(temp.dir, migrations);
    const primary = temp.track(await startPrimary({ path: temp.file('primary.db'), port: 0 }));
    try {
      const children = await Promise.all(
        [1, 2].map((n) => startChild(temp.file(`replica-${n}.db`), primary.url, folder)),
      );
      for (const { child } of children) child.stdin!.write('go\n');
      const results = await Promise.all(children.map(({ result }) => result));

      const applied = results.map((line) => {
        expect(line).toMatch(/^0 \{/);
        return (JSON.parse(line.slice(2)) as { appliedMigrationNames: string[] }).appliedMigrationNames;
      });
      const names = migrations.map((m) => m.name);
      expect([...applied[0]!, ...applied[1]!].sort()).toEqual(names);
      // Each run applies in folder order, skipping what the other applied.
      for (const list of applied) expect(list).toEqual(names.filter((name) => list.includes(name)));

      const reader = temp.track(createClient({ url: `file:${temp.file('reader.db')}`, syncUrl: primary.url }));
      await reader.sync();
      const { rows } = await reader.execute(
        'SELECT migration_name, count(*) AS n, min(finished_at IS NOT NULL AND applied_steps_count = 1) AS ok ' +
          'FROM _prisma_migrations GROUP BY migration_name ORDER BY migration_name',
      );
      expect(rows.map((row) => [row.migration_name, row.n, row.ok])).toEqual(names.map((name) => [name, 1, 1]));
      const tables = await reader.execute(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name LIKE 'Extra%'",
      );
      expect(tables.rows[0]!.n).toBe(30);
    } finally {
      await primary.close();
    }
  });
});
