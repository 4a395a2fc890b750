import {
  DriverAdapterError,
  type ConnectionInfo,
  type IsolationLevel,
  type SqlDriverAdapter,
} from '@prisma/driver-adapter-utils';
import type { Client } from '../../core/index.ts';
import type { TimestampFormat } from './conversion.ts';
import { toDriverAdapterError } from './errors.ts';
import { WasmliteQueryable } from './wasmlite-queryable.ts';
import { WasmliteTransaction } from './wasmlite-transaction.ts';

/** SQLite's SQLITE_MAX_VARIABLE_NUMBER in the official WebAssembly build. */
const MAX_BIND_VALUES = 32766;

/**
 * The Prisma driver adapter over one wasmlite `Client` (what `PrismaWasmlite.connect()` returns).
 * Queries run through the client, so in replica mode reads are local and writes go to the
 * primary; an interactive transaction is a `client.transaction('write')`, and while it is open
 * the client's other calls wait: they never run inside it.
 *
 * @example
 * const adapter = await new PrismaWasmlite({ url: 'file:dev.db' }).connect();
 * const rs = await adapter.queryRaw({
 *   sql: 'SELECT id FROM "User" WHERE id = ?',
 *   args: [1],
 *   argTypes: [{ scalarType: 'int', arity: 'scalar' }],
 * });
 */
export class WasmliteAdapter extends WasmliteQueryable<Client> implements SqlDriverAdapter {
  readonly #ownsClient: boolean;

  constructor(client: Client, timestampFormat: TimestampFormat, ownsClient: boolean) {
    super(client, timestampFormat);
    this.#ownsClient = ownsClient;
  }

  /** Runs several `;`-separated statements (e.g. a migration script). */
  async executeScript(script: string): Promise<void> {
    try {
      await this.target.executeMultiple(script);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }

  /** Begins an interactive transaction; SQLite transactions are serializable, so only `SERIALIZABLE` is accepted. */
  async startTransaction(isolationLevel?: IsolationLevel): Promise<WasmliteTransaction> {
    if (isolationLevel !== undefined && isolationLevel !== 'SERIALIZABLE') {
      throw new DriverAdapterError({ kind: 'InvalidIsolationLevel', level: isolationLevel });
    }
    try {
      return new WasmliteTransaction(await this.target.transaction('write'), this.timestampFormat);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }

  getConnectionInfo(): ConnectionInfo {
    return { maxBindValues: MAX_BIND_VALUES, supportsRelationJoins: false };
  }

  /**
   * Closes the client, unless it was handed to `PrismaWasmlite` by the caller (who then closes
   * it); waits for a replica's follower to stop when its `close()` returns a promise.
   */
  async dispose(): Promise<void> {
    if (this.#ownsClient) await (this.target.close() as unknown);
  }
}
