// A program that makes a replica client: `replica-client-child.ts <syncUrl> <dir> fresh|imported`,
// run with `node --conditions=source --import tsx` as an application would run. It records every
// module of replication/ the process resolves (a resolve hook, registered before wasmlite is
// imported), makes a local client, refuses a bad syncUrl, then makes a replica client, and prints what it
// saw as JSON.
import fs from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';

const [syncUrl, dir, mode] = process.argv.slice(2) as [string, string, 'fresh' | 'imported'];
const resolvedLog = path.join(dir, 'resolved.txt');
fs.writeFileSync(resolvedLog, '');
register('./record-resolved.mjs', import.meta.url, { data: { log: resolvedLog } });
const replicationModules = (): string[] =>
  fs
    .readFileSync(resolvedLog, 'utf8')
    .split('\n')
    .filter((url) => url.includes('/replication/'));

const { createClient } = await import('wasmlite');
const { loadedReplicaBackend } = await import('../../core/client/load-replica-backend.ts');
const replication = mode === 'imported' ? await import('wasmlite/replication') : undefined;
const afterImports = { loaded: replicationModules().length, backend: loadedReplicaBackend() !== undefined };

const local = createClient({ url: `file:${path.join(dir, 'local.db')}` });
await local.execute('CREATE TABLE t (x)');
await local.close();
let badSyncUrl = 'accepted';
try {
  createClient({ url: `file:${path.join(dir, 'bad.db')}`, syncUrl: 'ftp://nowhere' });
} catch (error) {
  badSyncUrl = `${(error as Error).name}: ${(error as Error).message}`;
}
const afterLocalClient = replicationModules().length;

const client = createClient({ url: `file:${path.join(dir, 'replica.db')}`, syncUrl });
await client.execute('CREATE TABLE t (x)');
await client.execute({ sql: 'INSERT INTO t VALUES (?)', args: [42] });
const value = (await client.execute('SELECT x FROM t')).rows[0]!.x;
await (client.close() as unknown);
process.stdout.write(
  JSON.stringify({
    afterImports,
    afterLocalClient,
    afterReplicaClient: replicationModules().length,
    value,
    badSyncUrl,
    sameBackend: replication === undefined ? undefined : loadedReplicaBackend() === replication.replicaBackend,
  }),
);
