/**
 * A primary in a child process for the crash and load tests. Usage:
 * `primary-child.ts <db file> [<options as JSON>]` (options of `startPrimary` besides `path`).
 * Prints `url <base url>` once serving, or `error <message>` if startup fails.
 */
import { startPrimary } from '../../../replication/index.ts';

try {
  const options = process.argv[3] === undefined ? {} : JSON.parse(process.argv[3]);
  const primary = await startPrimary({ ...options, path: process.argv[2]! });
  console.log(`url ${primary.url}`);
} catch (error) {
  console.log(`error ${(error as Error).name}: ${(error as Error).message}`);
  process.exit(1);
}
