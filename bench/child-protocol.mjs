/**
 * How a benchmark child process hands its outcome to the parent that started it: one line on
 * stdout, `@@result {json}` or `@@error {json}`, whatever else the child prints around it. The core
 * workloads' children (child.mjs) and the ORM suites' (peer-suite.mjs) both speak it.
 *
 * ```js
 * // in the child
 * await reportOutcome(() => measure(spec));
 * // in the parent, on the child's stdout so far
 * const outcome = findOutcome(stdout); // { kind: 'result', value } once the line is complete
 * ```
 */

/**
 * @typedef {{ kind: 'result', value: any } | { kind: 'error', value: { message: string, stack: string } }} Outcome
 */

/**
 * Runs `produce` and prints its value as `@@result`, or what it threw as `@@error`
 * (`{ message, stack }`); sets the process's exit code to match.
 * @param {() => unknown} produce
 */
export async function reportOutcome(produce) {
  try {
    const value = await produce();
    process.stdout.write(`@@result ${JSON.stringify(value)}\n`);
    process.exitCode = 0;
  } catch (error) {
    const message = String(/** @type {any} */ (error)?.message ?? error);
    const stack = String(/** @type {any} */ (error)?.stack ?? '');
    process.stdout.write(`@@error ${JSON.stringify({ message, stack })}\n`);
    process.exitCode = 1;
  }
}

/**
 * The outcome line in a child's stdout, once it is complete; undefined before.
 * @param {string} stdout
 * @returns {Outcome | undefined}
 */
export function findOutcome(stdout) {
  const match = /^@@(result|error) (.*)\n/m.exec(stdout);
  if (match === null) return undefined;
  return /** @type {Outcome} */ ({ kind: match[1], value: JSON.parse(match[2]) });
}
