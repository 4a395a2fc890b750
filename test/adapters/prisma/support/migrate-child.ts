/**
 * A process that runs `migrate()` through a replica client, for the concurrency test:
 * `node --import tsx migrate-child.ts <replica file> <primary url> <migrations folder>`.
 * Opens its client, prints `ready`, waits for a line on stdin (so that two children start
 * migrating at the same moment), runs `migrate`, prints the result as JSON and exits.
 */
import { createInterface } from 'node:readline';
import { createClient } from '../../../../core/index.ts';
import '../../../../replication/index.ts';
import { migrate } from '../../../../adapters/prisma/migrate.ts';

const [file, syncUrl, migrationsFolder] = process.argv.slice(2);
const client = createClient({ url: `file:${file}`, syncUrl });
await client.execute('SELECT 1');
process.stdout.write('ready\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
try {
  const result = await migrate(client, { migrationsFolder: migrationsFolder! });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stdout.write(`error ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await client.close();
  process.stdin.destroy();
}
