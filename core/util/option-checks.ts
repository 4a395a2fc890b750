// The checks of numeric options and arguments, worded as better-sqlite3 words them
// (`Expected the "timeout" option to be a positive integer`), made before any work starts.

/** Whether `value` is an integer a double holds exactly (a safe integer) and at least 0. */
export function isNonNegativeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * `value` if it is a safe integer of at least 1, else a TypeError
 * `Expected the "<name>" option to be a positive integer` (or `argument`, with `kind`).
 *
 * @example
 * const heartbeatMs = positiveInteger(options.heartbeatMs ?? 5000, 'heartbeatMs');
 */
export function positiveInteger(value: unknown, name: string, kind: 'option' | 'argument' = 'option'): number {
  if (!isNonNegativeInteger(value) || value < 1) throw expected(name, kind, 'a positive integer');
  return value;
}

/**
 * `value` if it is a safe integer of at least 0, else a TypeError
 * `Expected the "<name>" option to be a non-negative integer`.
 *
 * @example
 * const timeout = nonNegativeInteger(options.timeout ?? 5000, 'timeout');
 */
export function nonNegativeInteger(value: unknown, name: string): number {
  if (!isNonNegativeInteger(value)) throw expected(name, 'option', 'a non-negative integer');
  return value;
}

/**
 * The number of arguments `fn` declares (`fn.length`), checked as better-sqlite3 checks it for
 * user functions: a TypeError `Expected function.length to be a positive integer` (better-sqlite3's
 * words, though 0 is accepted) if it is not a non-negative integer (a getter can make it anything).
 *
 * @example
 * const argumentCount = functionLength(step);
 */
export function functionLength(fn: Function): number {
  const { length } = fn;
  if (!isNonNegativeInteger(length)) throw new TypeError('Expected function.length to be a positive integer');
  return length;
}

function expected(name: string, kind: 'option' | 'argument', what: string): TypeError {
  return new TypeError(`Expected the "${name}" ${kind} to be ${what}`);
}
