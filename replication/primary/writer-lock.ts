/**
 * A first-come, first-served lock on the primary's one writer connection. Requests that use the
 * connection hold it for their synchronous run; an interactive transaction holds it from its
 * `BEGIN` to its end, so the requests behind it wait (they neither fail nor run inside it).
 *
 * @example
 * const lock = new WriterLock();
 * const result = await lock.run(() => executor.execute(input, 'write'));
 */
export class WriterLock {
  #held = false;
  readonly #waiters: Array<() => void> = [];

  /** Whether someone holds the lock now. */
  get held(): boolean {
    return this.#held;
  }

  /**
   * Resolves once the lock is this caller's, with the function that releases it (idempotent).
   *
   * @example
   * const release = await lock.acquire();
   * try { work(); } finally { release(); }
   */
  async acquire(): Promise<() => void> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      // Handed over directly: nobody can slip in between the release and the next waiter.
      if (next === undefined) this.#held = false;
      else next();
    };
  }

  /**
   * Runs `fn` while holding the lock.
   *
   * @example
   * await lock.run(() => db.serialize());
   */
  async run<T>(fn: () => T): Promise<T> {
    const release = await this.acquire();
    try {
      return fn();
    } finally {
      release();
    }
  }
}
