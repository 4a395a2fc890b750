/**
 * A primary in a child process for the crash tests. Usage: `primary-child.ts <db file>`.
 * Prints `url <base url>` once serving, or `error <message>` if startup fails.
 */
import { startPrimary } from '../../../replication/index.ts';

try {
  const primary = await startPrimary({ path: process.argv[2]! });
  console.log(`url ${primary.url}`);
} catch (error) {
  console.log(`error ${(error as Error).name}: ${(error as Error).message}`);
  process.exit(1);
}
