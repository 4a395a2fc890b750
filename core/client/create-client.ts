import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOpenArguments, type OpenOptions } from '../database/database.ts';
import { open } from '../database/open.ts';
import { nonNegativeInteger } from '../util/option-checks.ts';
import { ClientError } from './client-error.ts';
import { LocalClient } from './local-client.ts';
import { loadedReplicaBackend, loadReplicaBackend } from './load-replica-backend.ts';
import { PendingClient } from './pending-client.ts';
import { ReplicaClient } from './replica-client.ts';
import { parseSyncUrls } from './sync-urls.ts';
import { checkPrimaryAddress, type ReplicaBackendFactory } from './transport.ts';
import type { Client, Config, IntMode } from './types.ts';
import { checkUrlQuery } from './url-query.ts';

/**
 * Creates a {@link Client} in @libsql/client's shape, so a libSQL user changes one import.
 *
 * `url` is `file:path.db`, `file:///abs/path.db` or `:memory:`; the database opens on first
 * use (an open failure rejects that first call). Throws a ClientError for a URL it cannot use.
 *
 * With `syncUrl`, the file is a replica of that primary (with `:memory:`, a replica in a private
 * temporary directory removed by `close()`): read-only statements run locally,
 * everything else on the primary, with read-your-writes (`readYourWrites`,
 * `readYourWritesTimeout`, `onReplicaLag`, `bookmark`). The replication module is loaded on
 * the first such call (there is nothing to import or register).
 *
 * @example
 * import { createClient } from 'wasmlite';
 * const client = createClient({ url: 'file:app.db' });
 * await client.execute('CREATE TABLE IF NOT EXISTS t (x)');
 * const rs = await client.execute({ sql: 'SELECT ? AS x', args: [1] }); // rs.rows[0].x === 1
 */
export function createClient(config: Config): Client {
  if (config === null || typeof config !== 'object')
    throw new TypeError(
      `Expected the "config" argument to be an object (client configuration as object, got ${config === null ? 'null' : typeof config})`,
    );
  const intMode = config.intMode ?? 'number';
  if (intMode !== 'number' && intMode !== 'bigint' && intMode !== 'string') {
    throw new TypeError(
      `Expected the "intMode" option to be "number", "bigint" or "string", got ${JSON.stringify(String(intMode))}`,
    );
  }
  if ((config.offline as unknown) !== undefined && (config.offline as unknown) !== false) {
    throw new ClientError(
      'offline writes are not supported: a replica client sends writes to the primary and fails with PRIMARY_UNAVAILABLE when it cannot reach one',
      'NOT_SUPPORTED',
    );
  }
  const path = localPath(config.url);
  // libSQL installs no busy handler unless asked (`timeout`): a locked database fails at once
  // with SQLITE_BUSY. A replica client keeps the Database's default, since its own follower
  // writes the file it reads.
  const timeout = config.timeout ?? (config.syncUrl === undefined ? 0 : undefined);
  const options: OpenOptions = timeout === undefined ? {} : { timeout };
  checkOpenArguments(path, options);
  if (config.syncUrl !== undefined) return createReplicaClient(path, options, intMode, config);
  return new LocalClient(open(path, options), intMode);
}

/** The file path (or `:memory:`) a `file:` URL names. */
export function localPath(url: unknown): string {
  if (typeof url !== 'string' || url === '')
    throw new ClientError('Expected the "url" option to be a non-empty string', 'URL_INVALID');
  if (url === ':memory:') return ':memory:';
  checkUrlQuery(url);
  if (url.split('?')[0] === 'file::memory:') return ':memory:';
  if (!url.startsWith('file:')) {
    const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(url)?.[1];
    const named = scheme === undefined ? '' : ` (scheme ${JSON.stringify(scheme)})`;
    throw new ClientError(
      `Unsupported URL ${JSON.stringify(url)}${named}: use file:path.db or :memory:`,
      'URL_SCHEME_NOT_SUPPORTED',
    );
  }
  const rest = url.slice('file:'.length).split('?')[0]!;
  if (rest.startsWith('//')) {
    try {
      return fileURLToPath(url.split('?')[0]!);
    } catch (cause) {
      throw new ClientError(`Invalid file URL ${JSON.stringify(url)}`, 'URL_INVALID');
    }
  }
  if (rest === '') throw new ClientError(`Invalid file URL ${JSON.stringify(url)}: no path`, 'URL_INVALID');
  try {
    return decodeURIComponent(rest);
  } catch {
    throw new ClientError(`Invalid file URL ${JSON.stringify(url)}: bad percent-encoding`, 'URL_INVALID');
  }
}

/**
 * The replica client for `config`, its options checked here (synchronously). How replicas follow
 * and reach the primary comes from replication/, loaded by the first call (a dynamic import, so
 * that programs without `syncUrl` never load it; see `loadReplicaBackend`): until that load is
 * done, a {@link PendingClient} stands in.
 */
function createReplicaClient(given: string, open: OpenOptions, intMode: IntMode, config: Config): Client {
  if ((typeof config.syncUrl !== 'string' && !Array.isArray(config.syncUrl)) || config.syncUrl.length === 0)
    throw new ClientError('Expected the "syncUrl" option to be a non-empty string or array', 'URL_INVALID');
  checkPrimaryAddress(config);
  const syncUrls = parseSyncUrls(config.syncUrl);
  const failoverTimeout = nonNegativeInteger(
    config.failoverTimeout ?? (syncUrls.length > 1 ? 10_000 : 0),
    'failoverTimeout',
  );
  const readYourWrites = config.readYourWrites ?? true;
  if (typeof readYourWrites !== 'boolean') throw new TypeError('Expected the "readYourWrites" option to be a boolean');
  const readYourWritesTimeout = nonNegativeInteger(config.readYourWritesTimeout ?? 5000, 'readYourWritesTimeout');
  const onReplicaLag = config.onReplicaLag ?? 'primary';
  if (onReplicaLag !== 'primary' && onReplicaLag !== 'error')
    throw new TypeError('Expected the "onReplicaLag" option to be "primary" or "error"');
  if (config.bookmark !== undefined && (typeof config.bookmark !== 'string' || config.bookmark === '')) {
    throw new TypeError('Expected the "bookmark" option to be a non-empty string');
  }
  const syncConfig = { ...config, syncUrls, failoverTimeout };
  // A replica "in memory": the follower needs files (snapshot, position), so it gets a private
  // temporary directory of its own, removed when the client is closed.
  const temporaryDirectory = given === ':memory:' ? mkdtempSync(join(tmpdir(), 'wasmlite-replica-')) : undefined;
  const path = temporaryDirectory === undefined ? given : join(temporaryDirectory, 'replica.db');
  const options = {
    intMode,
    open,
    readYourWrites,
    readYourWritesTimeout,
    onReplicaLag,
    bookmark: config.bookmark,
    temporaryDirectory,
  };
  const factory = loadedReplicaBackend();
  if (factory === undefined) {
    return new PendingClient(
      loadReplicaBackend().then((loaded) => replicaClientFrom(loaded, path, syncConfig, options)),
      config.bookmark,
    );
  }
  return replicaClientFrom(factory, path, syncConfig, options);
}

function replicaClientFrom(
  factory: ReplicaBackendFactory,
  path: string,
  config: Config & { syncUrls: string[]; failoverTimeout: number },
  options: ConstructorParameters<typeof ReplicaClient>[3],
): ReplicaClient {
  const { intMode } = options;
  const { replica, transport } = factory({
    path,
    syncUrl: config.syncUrls[0]!,
    syncUrls: config.syncUrls,
    failoverTimeout: config.failoverTimeout,
    intMode,
    ...(config.authToken === undefined ? {} : { authToken: config.authToken }),
    ...(config.syncInterval === undefined ? {} : { syncInterval: config.syncInterval }),
  });
  return new ReplicaClient(path, replica, transport, options);
}
