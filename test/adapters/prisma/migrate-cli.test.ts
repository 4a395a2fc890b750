import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../core/index.ts';
import { startPrimary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { INIT, POSTS, writeMigrationsFolder } from './support/migrations.ts';

const CLI = fileURLToPath(new URL('../../../replication/cli.ts', import.meta.url));
/** tsx's loader by URL: the CLI runs in a temporary directory, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

/** Runs `wasmlite prisma …` as a process in `cwd`; resolves with its exit code and output. */
async function wasmlite(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'prisma', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe('wasmlite prisma migrate-deploy', () => {
  const temp = useTempDir();

  it('applies prisma/migrations to a local file, then finds nothing pending', async () => {
    fs.mkdirSync(temp.file('prisma'));
    writeMigrationsFolder(temp.file('prisma'), [INIT, POSTS]);

    const first = await wasmlite(temp.dir, ['migrate-deploy', '--url', 'file:app.db']);
    expect(first).toEqual({
      code: 0,
      stdout: `applied ${INIT.name}\napplied ${POSTS.name}\n2 migrations applied (file:app.db)\n`,
      stderr: '',
    });
    const second = await wasmlite(temp.dir, ['migrate-deploy', '--url', 'file:app.db']);
    expect(second).toEqual({ code: 0, stdout: 'no pending migrations to apply (file:app.db)\n', stderr: '' });

    const client = temp.track(createClient({ url: `file:${temp.file('app.db')}` }));
    const { rows } = await client.execute('SELECT migration_name FROM _prisma_migrations ORDER BY started_at');
    expect(rows.map((row) => row.migration_name)).toEqual([INIT.name, POSTS.name]);
  });

  it('applies through a primary that holds the file, with the token of a token file', async () => {
    const folder = writeMigrationsFolder(temp.dir, [INIT]);
    const primary = temp.track(
      await startPrimary({ path: temp.file('primary.db'), port: 0, tokens: { write: ['s3cret'] } }),
    );
    try {
      fs.writeFileSync(temp.file('token'), "# the primary's read-write token\ns3cret\n");
      const args = ['migrate-deploy', '--url', 'file:replica.db', '--sync-url', primary.url, '--migrations', folder];

      const refused = await wasmlite(temp.dir, args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^ClientError: PRIMARY_ERROR: primary refused the request \(UNAUTHORIZED\)/m);

      const applied = await wasmlite(temp.dir, [...args, '--auth-token-file', 'token']);
      expect(applied).toMatchObject({
        code: 0,
        stdout: `applied ${INIT.name}\n1 migration applied (${primary.url})\n`,
      });
      expect(applied.stderr).not.toMatch(/error/i);
      const reader = temp.track(
        createClient({ url: `file:${temp.file('reader.db')}`, syncUrl: primary.url, authToken: 's3cret' }),
      );
      await reader.sync();
      expect(
        (await reader.execute('SELECT migration_name FROM _prisma_migrations')).rows.map((row) => row.migration_name),
      ).toEqual([INIT.name]);
    } finally {
      await primary.close();
    }
  });

  it("exits 1 with Prisma's code when migrate refuses", async () => {
    const folder = writeMigrationsFolder(temp.dir, [INIT], 'provider = "mysql"\n');
    const result = await wasmlite(temp.dir, ['migrate-deploy', '--url', 'file:app.db', '--migrations', folder]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^PrismaMigrateError: P3019: /);
  });

  it('prints its usage for --help, and exits 2 with a clear message and the usage for bad arguments', async () => {
    const help = await wasmlite(temp.dir, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: wasmlite prisma migrate-deploy --url <file:path.db>/);
    expect(help.stdout).toContain('--auth-token-file <file>');

    fs.writeFileSync(temp.file('empty-token'), '# nothing\n\n');
    const cases: Array<[string[], string]> = [
      [[], 'Expected a command: migrate-deploy'],
      [['deploy', '--url', 'file:a.db'], 'Unknown command: deploy (expected migrate-deploy)'],
      [['migrate-deploy'], 'Expected --url to be a file: URL (file:path.db)'],
      [['migrate-deploy', '--url', 'app.db'], 'Expected --url to be a file: URL (file:path.db)'],
      [
        ['migrate-deploy', '--url', 'file:a.db', '--sync-url', 'localhost:7878'],
        'Expected --sync-url to be an http:// or https:// URL',
      ],
      [
        ['migrate-deploy', '--url', 'file:a.db', '--auth-token-file', 'empty-token'],
        'Expected --auth-token-file only with --sync-url',
      ],
      [
        [
          'migrate-deploy',
          '--url',
          'file:a.db',
          '--sync-url',
          'http://127.0.0.1:1',
          '--auth-token-file',
          'empty-token',
        ],
        'Expected --auth-token-file to hold a token: empty-token has none',
      ],
      [
        ['migrate-deploy', '--url', 'file:a.db', '--sync-url', 'http://127.0.0.1:1', '--auth-token-file', 'missing'],
        'Expected --auth-token-file to be a readable file: ENOENT',
      ],
      [
        ['migrate-deploy', '--url', 'file:a.db'],
        'Expected --migrations to be a directory: prisma/migrations is not (default prisma/migrations)',
      ],
      [['migrate-deploy', '--url', 'file:a.db', '--migrate', 'x'], "Unknown option '--migrate'"],
    ];
    for (const [args, message] of cases) {
      const result = await wasmlite(temp.dir, args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('usage: wasmlite prisma migrate-deploy');
    }
    expect(fs.readdirSync(temp.dir).sort()).toEqual(['empty-token']);
  });
});
