import fs from 'node:fs';
import path from 'node:path';
import { migrationChecksum } from './migration-checksum.ts';

/** The file Prisma Migrate writes the provider to, at the top of the migrations folder. */
export const LOCK_FILE = 'migration_lock.toml';
/** The script in each migration's folder. */
export const SCRIPT_FILE = 'migration.sql';

/**
 * One migration of a Prisma migrations folder: its folder name and its `migration.sql`, or why
 * that could not be read.
 *
 * @example
 * const migration: MigrationDirectory = { name: '20240101000000_init', script: 'CREATE TABLE …', checksum: '…' };
 */
export type MigrationDirectory =
  | { readonly name: string; readonly script: string; readonly checksum: string }
  | { readonly name: string; readonly script: undefined; readonly scriptPath: string; readonly readError: string };

/**
 * What {@link readMigrationsFolder} found.
 *
 * @example
 * const { lockProvider, migrations } = readMigrationsFolder('./prisma/migrations');
 */
export interface MigrationsFolder {
  /** The provider `migration_lock.toml` names, or `undefined` without a lock file. */
  readonly lockProvider: string | undefined;
  /** The migrations, in the order Prisma applies them. */
  readonly migrations: readonly MigrationDirectory[];
}

/**
 * Reads a Prisma migrations folder as the Prisma CLI lists it (its `listMigrations`): every
 * subfolder is a migration (files and symbolic links beside them are not), ordered by
 * `String#localeCompare` of the folder names (so `20240101000000_init` comes before
 * `20240102000000_posts`); the script is read as UTF-8 text as it is (a byte order mark or CRLF
 * line endings stay, and count in the checksum), and a subfolder without a readable
 * `migration.sql` is kept with its error (Prisma fails on it only when it has to apply it).
 * Throws a `TypeError` if `folder` is not a directory (the Prisma CLI takes a missing folder for
 * an empty one; here a mistyped path is an error, not a run that applies nothing).
 *
 * @example
 * readMigrationsFolder('./prisma/migrations').migrations.map((m) => m.name); // ['20240101000000_init', …]
 */
export function readMigrationsFolder(folder: string): MigrationsFolder {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    throw new TypeError(`Expected the "migrationsFolder" option to be a directory: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const migrations = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => readMigration(folder, entry.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { lockProvider: readLockProvider(folder), migrations };
}

function readMigration(folder: string, name: string): MigrationDirectory {
  const scriptPath = path.join(folder, name, SCRIPT_FILE);
  try {
    const script = fs.readFileSync(scriptPath, 'utf8');
    return { name, script, checksum: migrationChecksum(script) };
  } catch (error) {
    return { name, script: undefined, scriptPath, readError: (error as Error).message };
  }
}

/** What Prisma takes for the provider of a lock file with no `provider` line (so it never matches). */
const PROVIDER_NOT_FOUND = '<PROVIDER NOT FOUND>';

/**
 * The value of the lock file's first line that starts with `provider`, read as Prisma's engine
 * reads it: every leading `provider = ` and the double quotes around the value taken off.
 */
function readLockProvider(folder: string): string | undefined {
  let content: string;
  try {
    content = fs.readFileSync(path.join(folder, LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const line = content.split(/\r?\n/).find((l) => l.startsWith('provider'));
  if (line === undefined) return PROVIDER_NOT_FOUND;
  let value = line;
  while (value.startsWith('provider = ')) value = value.slice('provider = '.length);
  return value.replace(/^"+|"+$/g, '');
}
