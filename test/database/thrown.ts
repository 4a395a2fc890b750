/**
 * Runs `fn` and returns what it threw; fails the test if it did not throw. Lets a test assert
 * several properties of one error (class, `code`, exact message) without catching it twice.
 */
export function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, and it returned');
}

/** The reason `promise` rejected with; fails the test if it fulfilled. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, and it fulfilled');
}
