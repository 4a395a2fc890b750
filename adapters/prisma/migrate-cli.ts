import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createClient, type Client } from '../../core/index.ts';
import { migrate } from './migrate.ts';

/** The command's usage, printed by `--help` and after a bad option. */
const PRISMA_MIGRATE_USAGE = `usage: wasmlite prisma migrate-deploy --url <file:path.db>
         [--sync-url <http://primary:7878>] [--auth-token-file <file>] [--migrations <dir>]

Applies the pending migrations of a Prisma migrations folder, as \`prisma migrate deploy\` does,
without Prisma's native schema engine, and records them in _prisma_migrations as Prisma does.

  --url <file:…>            the database (with --sync-url: this machine's replica of it)
  --sync-url <http://…>     a wasmlite primary: the migrations run there, while it serves
  --auth-token-file <file>  a file holding the primary's read-write token (its first line that is
                            neither blank nor a # comment)
  --migrations <dir>        the migrations folder (default prisma/migrations)
  -h, --help                this text`;

/**
 * `wasmlite prisma migrate-deploy …`: parses the arguments after `prisma`, runs {@link migrate}
 * on a client of `--url` (a replica of `--sync-url` if given), prints one `applied <name>` line
 * per migration it applied and a summary, and returns the exit code: 0 when done (also when
 * nothing was pending), 1 when refused or failed (the message on stderr, with Prisma's code),
 * 2 for bad arguments (with the usage). Throws nothing.
 *
 * @example
 * process.exitCode = await runPrismaCli(['migrate-deploy', '--url', 'file:app.db']);
 */
export async function runPrismaCli(
  args: readonly string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseOptions(args);
  } catch (error) {
    err(`${(error as Error).message}\n\n${PRISMA_MIGRATE_USAGE}`);
    return 2;
  }
  if (options === 'help') {
    out(PRISMA_MIGRATE_USAGE);
    return 0;
  }

  let client: Client | undefined;
  try {
    client = createClient({ url: options.url, syncUrl: options.syncUrl, authToken: options.authToken });
    const { appliedMigrationNames } = await migrate(client, { migrationsFolder: options.migrations });
    for (const name of appliedMigrationNames) out(`applied ${name}`);
    const where = options.syncUrl ?? options.url;
    out(
      appliedMigrationNames.length === 0
        ? `no pending migrations to apply (${where})`
        : `${appliedMigrationNames.length} migration${appliedMigrationNames.length === 1 ? '' : 's'} ` +
            `applied (${where})`,
    );
    return 0;
  } catch (error) {
    err(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return 1;
  } finally {
    await client?.close();
  }
}

/** What the command line asked for. */
interface CliOptions {
  readonly url: string;
  readonly syncUrl: string | undefined;
  readonly authToken: string | undefined;
  readonly migrations: string;
}

/** Parses and checks the arguments; throws a `TypeError` worded for the command line. */
function parseOptions(args: readonly string[]): CliOptions | 'help' {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'sync-url': { type: 'string' },
      'auth-token-file': { type: 'string' },
      migrations: { type: 'string', default: 'prisma/migrations' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (positionals.length !== 1 || positionals[0] !== 'migrate-deploy') {
    throw new TypeError(
      positionals.length === 0
        ? 'Expected a command: migrate-deploy'
        : `Unknown command: ${positionals.join(' ')} (expected migrate-deploy)`,
    );
  }
  const url = values.url;
  if (url === undefined || !url.startsWith('file:'))
    throw new TypeError('Expected --url to be a file: URL (file:path.db)');
  const syncUrl = values['sync-url'];
  if (syncUrl !== undefined && !/^https?:\/\//.test(syncUrl))
    throw new TypeError('Expected --sync-url to be an http:// or https:// URL');
  const tokenFile = values['auth-token-file'];
  if (tokenFile !== undefined && syncUrl === undefined)
    throw new TypeError('Expected --auth-token-file only with --sync-url');
  const authToken = tokenFile === undefined ? undefined : readToken(tokenFile);
  if (!isDirectory(values.migrations))
    throw new TypeError(
      `Expected --migrations to be a directory: ${values.migrations} is not (default prisma/migrations)`,
    );
  return { url, syncUrl, authToken, migrations: values.migrations };
}

function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The token in a token file: its first line that is neither blank nor a `#` comment. */
function readToken(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new TypeError(`Expected --auth-token-file to be a readable file: ${(error as Error).message}`);
  }
  const token = text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#'));
  if (token === undefined) throw new TypeError(`Expected --auth-token-file to hold a token: ${file} has none`);
  return token;
}
