import type { AppliedWrite, IdempotencyIndex } from '../primary/idempotency-index.ts';

/** What {@link IdempotentWrites.run} resolves with: the new run's outcome, or the write applied before. */
export type WriteOutcome<T> = { readonly ran: T } | { readonly applied: AppliedWrite };

/**
 * Runs each keyed write at most once: a write whose key the log holds already
 * ({@link IdempotencyIndex}) is not run again but found, and a retry that arrives while the
 * first attempt is still running (its client gave up on the answer) waits for that attempt and
 * then looks again, so two attempts never run side by side. The first attempt's failure is its
 * own: the retry, finding no record, runs.
 *
 * @example
 * const outcome = await writes.run(key, () => engine.call(request, gone));
 * if ('applied' in outcome) replay(outcome.applied);
 */
export class IdempotentWrites {
  readonly #index: IdempotencyIndex;
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(index: IdempotencyIndex) {
    this.#index = index;
  }

  /** Runs `work` unless the write keyed `key` is applied already (see the class); throws what `work` throws. */
  async run<T>(key: string, work: () => Promise<T>): Promise<WriteOutcome<T>> {
    for (;;) {
      const applied = this.#index.find(key);
      if (applied !== undefined) return { applied };
      const running = this.#running.get(key);
      if (running === undefined) break;
      await running.catch(() => undefined);
    }
    const attempt = work();
    this.#running.set(key, attempt);
    try {
      return { ran: await attempt };
    } finally {
      this.#running.delete(key);
    }
  }
}
