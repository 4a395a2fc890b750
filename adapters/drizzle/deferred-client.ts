import { createClient, type Client, type Config, type InArgs, type InStatement, type ResultSet, type Row, type Transaction, type TransactionMode, type TransactionOptions } from '../../core/index.ts';

/**
 * A {@link Client} for `createClient(config)` with a `syncUrl`, usable at once although the
 * replication module (which `createClient` needs for `syncUrl`) is only loaded on demand, with a
 * dynamic import: each call waits for it, then goes to the real client. `drizzle()` returns
 * synchronously, so it cannot await the import itself. A failed import or `createClient` rejects
 * every call with its error.
 *
 * @example
 * const client = deferredReplicaClient({ url: 'file:replica.db', syncUrl: 'http://127.0.0.1:7878' });
 * await client.execute('SELECT 1'); // loads wasmlite/replication first
 */
export function deferredReplicaClient(config: Config): Client {
  const ready = import('../../replication/index.ts').then(() => createClient(config));
  ready.catch(() => {}); // reported by the first call
  let real: Client | undefined;
  let closed = false;
  void ready.then((client) => {
    real = client;
    if (closed) client.close();
  }, () => {});
  return {
    get closed() {
      return real?.closed ?? closed;
    },
    get protocol() {
      return real?.protocol ?? 'file';
    },
    get bookmark() {
      return real?.bookmark ?? config.bookmark;
    },
    execute: async (stmt: InStatement, args?: InArgs): Promise<ResultSet> => (await ready).execute(stmt, args),
    batch: async (stmts: InStatement[], mode?: TransactionMode): Promise<ResultSet[]> => (await ready).batch(stmts, mode),
    transaction: async (mode?: TransactionMode, options?: TransactionOptions): Promise<Transaction> => (await ready).transaction(mode, options),
    migrate: async (stmts: InStatement[]): Promise<ResultSet[]> => (await ready).migrate(stmts),
    executeMultiple: async (sql: string): Promise<void> => (await ready).executeMultiple(sql),
    iterate(stmt: InStatement, args?: InArgs): AsyncIterableIterator<Row> {
      return (async function* () {
        yield* (await ready).iterate(stmt, args);
      })();
    },
    sync: async (): Promise<unknown> => (await ready).sync(),
    close(): void {
      closed = true;
      real?.close();
    },
  };
}
