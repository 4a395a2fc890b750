import { fileURLToPath } from 'node:url';
import { checkOpenArguments, type OpenOptions } from '../database/database.ts';
import { open } from '../database/open.ts';
import { ClientError } from './client-error.ts';
import { LocalClient } from './local-client.ts';
import type { Client, Config } from './types.ts';

/**
 * Creates a {@link Client} in @libsql/client's shape, so a libSQL user changes one import.
 *
 * `url` is `file:path.db`, `file:///abs/path.db` or `:memory:`; the database opens on first
 * use (an open failure rejects that first call). Throws a ClientError for a URL it cannot use.
 *
 * @example
 * import { createClient } from 'wasmlite';
 * const client = createClient({ url: 'file:app.db' });
 * await client.execute('CREATE TABLE IF NOT EXISTS t (x)');
 * const rs = await client.execute({ sql: 'SELECT ? AS x', args: [1] }); // rs.rows[0].x === 1
 */
export function createClient(config: Config): Client {
  if (config === null || typeof config !== 'object') throw new TypeError('Expected the "config" argument to be an object');
  const intMode = config.intMode ?? 'number';
  if (intMode !== 'number' && intMode !== 'bigint' && intMode !== 'string') {
    throw new TypeError('Expected the "intMode" option to be "number", "bigint" or "string"');
  }
  if (config.syncUrl !== undefined) {
    throw new ClientError('syncUrl needs the replication module, which is not part of this build yet', 'URL_SCHEME_NOT_SUPPORTED');
  }
  const path = localPath(config.url);
  const options: OpenOptions = config.timeout === undefined ? {} : { timeout: config.timeout };
  checkOpenArguments(path, options);
  return new LocalClient(open(path, options), intMode);
}

/** The file path (or `:memory:`) a `file:` URL names. */
export function localPath(url: unknown): string {
  if (typeof url !== 'string' || url === '') throw new ClientError('Expected the "url" option to be a non-empty string', 'URL_INVALID');
  if (url === ':memory:' || url === 'file::memory:') return ':memory:';
  if (!url.startsWith('file:')) {
    throw new ClientError(`Unsupported URL ${JSON.stringify(url)}: use file:path.db or :memory:`, 'URL_SCHEME_NOT_SUPPORTED');
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
