/**
 * The two kinds of wasmlite `Client` every adapter suite runs against, from one definition:
 *
 * - `local`: `createClient({ url: 'file:…' })` on a fresh database file;
 * - `replica`: a fresh primary (in this process, on 127.0.0.1) and a replica client of it,
 *   `createClient({ url: 'file:replica.db', syncUrl })`: reads local, writes on the primary.
 *
 * ```ts
 * const clients = useClients();
 * describe.each(CLIENT_KINDS)('%s client', (kind) => {
 *   it('works', async () => {
 *     const { client } = await clients.open(kind);
 *     await client.execute('CREATE TABLE t (x)');
 *   });
 * });
 * ```
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createClient, type Client, type Config } from '../../../core/index.ts';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { requestCount } from '../../replication/replica-client/helpers.ts';

export type ClientKind = 'local' | 'replica';

/** Both kinds, for `describe.each`. */
export const CLIENT_KINDS: readonly ClientKind[] = ['local', 'replica'];

/** One opened client and what a test may want to check about where its statements ran. */
export interface ClientFixture {
  readonly kind: ClientKind;
  readonly client: Client;
  /** The directory holding the database file(s); removed after the test. */
  readonly dir: string;
  /** The client's local database file (the replica's file in replica mode). */
  readonly file: string;
  /** The primary, in replica mode. */
  readonly primary?: Primary;
  /** HTTP requests the primary has answered so far (replica mode; 0 for a local client). */
  primaryRequests(): Promise<number>;
  /** Another client on the same data: a second local client, or a second replica of the same primary. */
  another(options?: Partial<Config>): Client;
}

/** Opens fresh clients for the calling test file and closes them (and their primaries) after each test. */
export function useClients(): { open(kind: ClientKind, options?: Partial<Config>): Promise<ClientFixture> } {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function track(client: Client): Client {
    // A replica client's close() resolves once its follower has stopped, before its files go.
    cleanups.push(() => client.close() as unknown);
    return client;
  }

  async function open(kind: ClientKind, options: Partial<Config> = {}): Promise<ClientFixture> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wasmlite-adapter-${kind}-`));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    if (kind === 'local') {
      const file = path.join(dir, 'local.db');
      const client = track(createClient({ url: `file:${file}`, ...options }));
      return {
        kind,
        client,
        dir,
        file,
        primaryRequests: async () => 0,
        another: (more) => track(createClient({ url: `file:${file}`, ...options, ...more })),
      };
    }
    const primary = await startPrimary({ path: path.join(dir, 'primary.db'), port: 0 });
    cleanups.push(() => primary.close());
    const file = path.join(dir, 'replica.db');
    let replicas = 0;
    const replica = (more: Partial<Config> = {}) =>
      track(
        createClient({
          url: `file:${replicas++ === 0 ? file : path.join(dir, `replica-${replicas}.db`)}`,
          syncUrl: primary.url,
          ...options,
          ...more,
        }),
      );
    const client = replica();
    return { kind, client, dir, file, primary, primaryRequests: () => requestCount(primary.url), another: replica };
  }

  return { open };
}
