/**
 * A primary as a cluster node: `primary-node.ts <db file> [port]`, token in `WASMLITE_TOKEN`.
 * Ready with its URL; `position` answers its position, `close` stops it.
 */
import { startPrimary } from 'wasmlite/replication';
import { serveCalls } from './serve-calls.ts';

const [path, port = '0'] = process.argv.slice(2);
const primary = await startPrimary({ path: path!, port: Number(port), authToken: process.env.WASMLITE_TOKEN });
serveCalls(primary.url, {
  position: () => primary.position().toString(),
  close: () => primary.close(),
});
process.once('SIGTERM', () => void primary.close().then(() => process.exit(0)));
