import type { Statement } from './statement.ts';

/** A function wrapped by `Database.transaction()`, with one variant per BEGIN behaviour. */
export type TransactionFunction<F extends (...args: any[]) => any> = F & {
  /** Runs in `BEGIN DEFERRED` (the default): locks are taken on first read/write. */
  deferred: F;
  /** Runs in `BEGIN IMMEDIATE`: takes the write lock up front (no SQLITE_BUSY mid-transaction). */
  immediate: F;
  /** Runs in `BEGIN EXCLUSIVE`. */
  exclusive: F;
};

/** The statements a transaction function needs, prepared once per database. */
export interface TransactionStatements {
  begin: Statement;
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
  isOpenTransaction: () => boolean,
  statements: () => TransactionStatements,
  fn: F,
): TransactionFunction<F> {
  if (typeof fn !== 'function') throw new TypeError('Expected first argument to be a function');
  const make = (kind: 'begin' | 'beginImmediate' | 'beginExclusive'): F =>
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
  const wrapped = make('begin') as TransactionFunction<F>;
  wrapped.deferred = wrapped;
  wrapped.immediate = make('beginImmediate');
  wrapped.exclusive = make('beginExclusive');
  return wrapped;
}

function rejectPromise(result: unknown): void {
  if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
    throw new TypeError('Transaction functions cannot return a promise');
  }
}
