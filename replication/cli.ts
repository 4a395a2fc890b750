#!/usr/bin/env node
/**
 * `npx wasmlite primary <db file> [--port 7878] [--host 127.0.0.1] [--token-file f] [--log-dir d] [--durability async|quorum]
 *   [--statement-timeout-ms 5000] [--max-response-rows 200000] [--max-response-bytes 10485760]`
 *
 * Serves a database as a replication primary until SIGINT/SIGTERM. The token file holds one
 * token a line: a bare line is a read-write token, `read <token>` a read-only one, `replicate
 * <token>` a replica's (reads, and confirms writes in quorum mode); blank lines and lines starting
 * with `#` are skipped.
 *
 * With `--archive <dir | s3://bucket/prefix>` the primary also archives itself continuously
 * (replication/backup): `--archive-max-lag-ms`, `--archive-snapshot-interval-ms`,
 * `--archive-retain-snapshots`, `--archive-retain-ms` set the archiver's options.
 *
 * `npx wasmlite restore --from <dir | s3://bucket/prefix> --to <file> [--txid N | --time ISO-8601] [--list]`
 *
 * Rebuilds a database from such an archive; see replication/backup/restore-cli.ts, loaded only
 * for this command.
 *
 * `npx wasmlite node --data <dir> --etcd <url,...> --cluster <name> --port <n> [--host 127.0.0.1] [--advertise <url>]
 *   [--token-file f] [--durability async|quorum] [--lease-ttl <s>]`
 *
 * Runs a failover node (replication/ha/start-node.ts) until SIGINT/SIGTERM: primary while it
 * holds the leader key in etcd, a replica of the primary otherwise. The token file is the
 * primary's; the node follows and reports to other nodes with its first read-write token.
 *
 * `npx wasmlite prisma migrate-deploy --url <file:…> [--sync-url <http://…>] [--auth-token-file f] [--migrations dir]`
 *
 * Applies a Prisma migrations folder (`prisma migrate deploy` without Prisma's native engine);
 * see adapters/prisma/migrate-cli.ts, loaded only for this command.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { startPrimary, type PrimaryArchiveOptions } from './server/start-primary.ts';

const USAGE =
  'usage: wasmlite primary <db file> [--port 7878] [--host 127.0.0.1] [--token-file <file>] [--log-dir <dir>] [--durability async|quorum]' +
  ' [--statement-timeout-ms <ms>] [--max-response-rows <rows>] [--max-response-bytes <bytes>]' +
  ' [--archive <dir | s3://bucket/prefix> [--archive-max-lag-ms <ms>] [--archive-snapshot-interval-ms <ms>]' +
  ' [--archive-retain-snapshots <n>] [--archive-retain-ms <ms>]]\n' +
  '       wasmlite restore --from <dir | s3://bucket/prefix> --to <file> [--txid <n> | --time <ISO-8601>] [--list]\n' +
  '       wasmlite node --data <dir> --etcd <url,...> --cluster <name> --port <n> [--host 127.0.0.1] [--advertise <url>]' +
  ' [--token-file <file>] [--durability async|quorum] [--lease-ttl <s>]\n' +
  '       wasmlite prisma migrate-deploy --url <file:path.db> [--sync-url <http://…>] [--auth-token-file <file>] [--migrations <dir>]';

/** The limit flags, by the `startPrimary` option each one sets (its checks and defaults apply). */
const LIMIT_FLAGS = {
  statementTimeoutMs: 'statement-timeout-ms',
  maxResponseRows: 'max-response-rows',
  maxResponseBytes: 'max-response-bytes',
} as const;

// --- continuous backup (replication/backup): the archive flags of `primary`, and `restore` ---

/** The archive flags, by the archiver option each one sets (its checks and defaults apply). */
const ARCHIVE_FLAGS = {
  maxLagMs: 'archive-max-lag-ms',
  snapshotIntervalMs: 'archive-snapshot-interval-ms',
  retainSnapshots: 'archive-retain-snapshots',
  retainMs: 'archive-retain-ms',
} as const;

/** `startPrimary`'s `archive` option from the flags, `undefined` without `--archive`. */
function archiveOption(values: Record<string, string | boolean | undefined>): PrimaryArchiveOptions | undefined {
  const target = values.archive;
  if (target === undefined) {
    for (const flag of Object.values(ARCHIVE_FLAGS))
      if (values[flag] !== undefined) throw new TypeError(`Expected --archive with --${flag}`);
    return undefined;
  }
  if (typeof target !== 'string' || target === '')
    throw new TypeError('Expected --archive to be a directory or s3://bucket/prefix');
  const options: Record<string, unknown> = { target };
  for (const [option, flag] of Object.entries(ARCHIVE_FLAGS))
    options[option] = limitFlag(values[flag] as string | undefined, flag);
  return options as unknown as PrimaryArchiveOptions;
}

// --- end of continuous backup ---

/** The number a limit flag gives, `undefined` when it is absent; `startPrimary` checks its range. */
function limitFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new TypeError(`Expected --${flag} to be a positive integer`);
  return Number(value);
}

function readTokens(file: string): { read: string[]; write: string[]; replicate: string[] } {
  const tokens = { read: [] as string[], write: [] as string[], replicate: [] as string[] };
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(read|replicate)\s+(\S+)$/.exec(line);
    if (match !== null) tokens[match[1] as 'read' | 'replicate'].push(match[2]!);
    else tokens.write.push(line);
  }
  return tokens;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'restore') {
    const { runRestoreCli } = await import('./backup/restore-cli.ts');
    await runRestoreCli(process.argv.slice(3));
    return;
  }
  if (process.argv[2] === 'prisma') {
    const { runPrismaCli } = await import('../adapters/prisma/migrate-cli.ts');
    process.exitCode = await runPrismaCli(process.argv.slice(3));
    return;
  }
  if (process.argv[2] === 'node') return runNode(process.argv.slice(3));
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '7878' },
      host: { type: 'string', default: '127.0.0.1' },
      'token-file': { type: 'string' },
      'log-dir': { type: 'string' },
      durability: { type: 'string', default: 'async' },
      [LIMIT_FLAGS.statementTimeoutMs]: { type: 'string' },
      [LIMIT_FLAGS.maxResponseRows]: { type: 'string' },
      [LIMIT_FLAGS.maxResponseBytes]: { type: 'string' },
      archive: { type: 'string' },
      ...Object.fromEntries(Object.values(ARCHIVE_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
  });
  const [command, path] = positionals;
  if (command !== 'primary' || path === undefined || positionals.length !== 2) throw new TypeError(USAGE);
  if (!/^\d+$/.test(values.port)) throw new TypeError('Expected --port to be an integer between 0 and 65535');
  const tokenFile = values['token-file'];
  const durability = values.durability;
  if (durability !== 'async' && durability !== 'quorum')
    throw new TypeError('Expected --durability to be async or quorum');
  const primary = await startPrimary({
    path,
    host: values.host,
    port: Number(values.port),
    tokens: tokenFile === undefined ? undefined : readTokens(tokenFile),
    logDir: values['log-dir'],
    durability,
    statementTimeoutMs: limitFlag(values[LIMIT_FLAGS.statementTimeoutMs], LIMIT_FLAGS.statementTimeoutMs),
    maxResponseRows: limitFlag(values[LIMIT_FLAGS.maxResponseRows], LIMIT_FLAGS.maxResponseRows),
    maxResponseBytes: limitFlag(values[LIMIT_FLAGS.maxResponseBytes], LIMIT_FLAGS.maxResponseBytes),
    archive: archiveOption(values),
  });
  console.log(`primary ${path} at ${primary.url}, position ${primary.position()}, durability ${durability}`);
  closeOnSignals(primary);
}

/** Closes `server` on SIGINT or SIGTERM, then exits (1 if closing failed). */
function closeOnSignals(server: { close(): Promise<void> }): void {
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** `wasmlite node …`: see the file's comment. */
async function runNode(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      etcd: { type: 'string' },
      cluster: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      advertise: { type: 'string' },
      'token-file': { type: 'string' },
      durability: { type: 'string', default: 'quorum' },
      'lease-ttl': { type: 'string', default: '2' },
    },
  });
  if (
    values.data === undefined ||
    values.etcd === undefined ||
    values.cluster === undefined ||
    values.port === undefined
  )
    throw new TypeError(USAGE);
  if (!/^\d+$/.test(values.port)) throw new TypeError('Expected --port to be an integer between 1 and 65535');
  if (!/^\d+$/.test(values['lease-ttl'])) throw new TypeError('Expected --lease-ttl to be a positive integer');
  const durability = values.durability;
  if (durability !== 'async' && durability !== 'quorum')
    throw new TypeError('Expected --durability to be async or quorum');
  const tokens = values['token-file'] === undefined ? undefined : readTokens(values['token-file']);
  const { startNode } = await import('./ha/start-node.ts');
  const node = await startNode({
    data: values.data,
    etcd: values.etcd.split(',').map((url) => url.trim()),
    cluster: values.cluster,
    port: Number(values.port),
    host: values.host,
    ...(values.advertise === undefined ? {} : { advertise: values.advertise }),
    ...(tokens === undefined ? {} : { tokens }),
    durability,
    leaseTtl: Number(values['lease-ttl']),
    log: (message) => console.log(`${new Date().toISOString()} ${message}`),
  });
  console.log(`node ${node.url} in cluster ${values.cluster}, durability ${durability}`);
  closeOnSignals(node);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
