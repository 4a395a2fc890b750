import type { Transaction as PrismaTransaction, TransactionOptions } from '@prisma/driver-adapter-utils';
import type { Transaction } from '../../core/index.ts';
import type { TimestampFormat } from './conversion.ts';
import { toDriverAdapterError } from './errors.ts';
import { WasmliteQueryable } from './wasmlite-queryable.ts';

// Savepoint names come from Prisma (`prisma_sp_0`, …); refuse anything else rather than splice it into SQL.
const SAVEPOINT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkSavepoint(name: string): string {
  if (typeof name !== 'string' || !SAVEPOINT_NAME.test(name))
    throw new TypeError('Expected the savepoint name to be an identifier');
  return name;
}

/**
 * A Prisma interactive transaction over a wasmlite interactive `Transaction` (in replica mode
 * it runs on the primary). Nested Prisma transactions are SQLite savepoints inside it.
 *
 * @example
 * const tx = await adapter.startTransaction();
 * await tx.executeRaw({ sql: 'INSERT INTO t VALUES (1)', args: [], argTypes: [] });
 * await tx.commit();
 */
export class WasmliteTransaction extends WasmliteQueryable<Transaction> implements PrismaTransaction {
  /** The wasmlite transaction itself begins and ends: Prisma sends no BEGIN/COMMIT of its own. */
  readonly options: TransactionOptions = { usePhantomQuery: true };

  constructor(transaction: Transaction, timestampFormat: TimestampFormat) {
    super(transaction, timestampFormat);
  }

  async commit(): Promise<void> {
    try {
      await this.target.commit();
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }

  /** Rolls back; a transaction that already ended (rolled back by SQLite or the primary's timeout) is left as is. */
  async rollback(): Promise<void> {
    try {
      await this.target.rollback();
    } catch {
      this.target.close();
    }
  }

  async createSavepoint(name: string): Promise<void> {
    await this.#savepointStatement(`SAVEPOINT ${checkSavepoint(name)}`);
  }

  async rollbackToSavepoint(name: string): Promise<void> {
    await this.#savepointStatement(`ROLLBACK TO SAVEPOINT ${checkSavepoint(name)}`);
  }

  async releaseSavepoint(name: string): Promise<void> {
    await this.#savepointStatement(`RELEASE SAVEPOINT ${checkSavepoint(name)}`);
  }

  async #savepointStatement(sql: string): Promise<void> {
    try {
      await this.target.execute(sql);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }
}
