import type { Database } from './database.ts';
import type { Statement } from './statement.ts';

/**
 * A function wrapped by `Database.transaction()`, with one variant per BEGIN behaviour. Every
 * variant carries all four and the database, as better-sqlite3's do.
 */
export type TransactionFunction<F extends (...args: any[]) => any> = F & {
  /** Runs in a plain `BEGIN` (the function `transaction()` returned). */
  default: TransactionFunction<F>;
  /** Runs in `BEGIN DEFERRED`: locks are taken on first read/write. */
  deferred: TransactionFunction<F>;
  /** Runs in `BEGIN IMMEDIATE`: takes the write lock up front (no SQLITE_BUSY mid-transaction). */
  immediate: TransactionFunction<F>;
  /** Runs in `BEGIN EXCLUSIVE`. */
  exclusive: TransactionFunction<F>;
  /** The database the transactions run on. */
  database: Database;
};

/** The statements a transaction function needs, prepared once per database. */
export interface TransactionStatements {
  begin: Statement;
  beginDeferred: Statement;
  beginImmediate: Statement;
  beginExclusive: Statement;
  commit: Statement;
  rollback: Statement;
  savepoint: Statement;
  release: Statement;
  rollbackTo: Statement;
}

/**
 * Wraps `fn` so that each call runs in a transaction: committed when `fn` returns, rolled back
 * (and the error rethrown) when it throws. Called inside another transaction, it runs in a
 * savepoint instead, so nesting composes. `fn` must be synchronous: a returned promise is a
 * TypeError (the transaction would commit before the promise settles).
 */
export function wrapTransaction<F extends (...args: any[]) => any>(
  database: Database,
  isOpenTransaction: () => boolean,
  statements: () => TransactionStatements,
  fn: F,
): TransactionFunction<F> {
  if (typeof fn !== 'function') throw new TypeError('Expected first argument to be a function');
  const make = (kind: 'begin' | 'beginDeferred' | 'beginImmediate' | 'beginExclusive'): F =>
    function (this: unknown, ...args: unknown[]) {
      const s = statements();
      if (isOpenTransaction()) {
        s.savepoint.run();
        try {
          const result = fn.apply(this, args);
          rejectPromise(result);
          s.release.run();
          return result;
        } catch (error) {
          if (isOpenTransaction()) {
            s.rollbackTo.run();
            s.release.run();
          }
          throw error;
        }
      }
      s[kind].run();
      try {
        const result = fn.apply(this, args);
        rejectPromise(result);
        s.commit.run();
        return result;
      } catch (error) {
        if (isOpenTransaction()) s.rollback.run();
        throw error;
      }
    } as F;
  const variants = {
    default: make('begin'),
    deferred: make('beginDeferred'),
    immediate: make('beginImmediate'),
    exclusive: make('beginExclusive'),
  };
  const properties: PropertyDescriptorMap = { database: { value: database, enumerable: true } };
  for (const [name, fn] of Object.entries(variants)) properties[name] = { value: fn };
  for (const fn of Object.values(variants)) Object.defineProperties(fn, properties);
  return variants.default as TransactionFunction<F>;
}

function rejectPromise(result: unknown): void {
  if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
    throw new TypeError('Transaction functions cannot return a promise');
  }
}
