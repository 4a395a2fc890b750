/**
 * A primary in a child process. Usage: `primary-child.ts <db file> <port>`.
 * Prints `url <base url>` once serving, or `error <message>` if startup fails; closes on SIGTERM.
 */
import { startPrimary } from '../../../replication/index.ts';

try {
  const primary = await startPrimary({ path: process.argv[2]!, port: Number(process.argv[3] ?? 0) });
  console.log(`url ${primary.url}`);
  process.on('SIGTERM', () => {
    void primary.close().then(() => process.exit(0));
  });
} catch (error) {
  console.log(`error ${(error as Error).name}: ${(error as Error).message}`);
  process.exit(1);
}
