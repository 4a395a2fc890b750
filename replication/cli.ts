#!/usr/bin/env node
/**
 * `npx wasmlite primary <db file> [--port 7878] [--host 127.0.0.1] [--token-file f] [--log-dir d] [--durability async|quorum]`
 *
 * Serves a database as a replication primary until SIGINT/SIGTERM. The token file holds one
 * token a line: a bare line is a read-write token, `read <token>` a read-only one, `replicate
 * <token>` a replica's (reads, and confirms writes in quorum mode); blank lines and lines starting
 * with `#` are skipped.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { startPrimary } from './primary/index.ts';

const USAGE = 'usage: wasmlite primary <db file> [--port 7878] [--host 127.0.0.1] [--token-file <file>] [--log-dir <dir>] [--durability async|quorum]';

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
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '7878' },
      host: { type: 'string', default: '127.0.0.1' },
      'token-file': { type: 'string' },
      'log-dir': { type: 'string' },
      durability: { type: 'string', default: 'async' },
    },
  });
  const [command, path] = positionals;
  if (command !== 'primary' || path === undefined || positionals.length !== 2) throw new TypeError(USAGE);
  if (!/^\d+$/.test(values.port)) throw new TypeError('Expected --port to be an integer between 0 and 65535');
  const tokenFile = values['token-file'];
  const durability = values.durability;
  if (durability !== 'async' && durability !== 'quorum') throw new TypeError('Expected --durability to be async or quorum');
  const primary = await startPrimary({
    path,
    host: values.host,
    port: Number(values.port),
    tokens: tokenFile === undefined ? undefined : readTokens(tokenFile),
    logDir: values['log-dir'],
    durability,
  });
  console.log(`primary ${path} at ${primary.url}, position ${primary.position()}, durability ${durability}`);
  const stop = (): void => {
    primary.close().then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
