/**
 * Adds the calling code's frames to a query error's stack.
 *
 * V8 keeps 10 frames of a stack. An error raised by the client starts with the client's own
 * frames and, through a replica, its HTTP transport's, so the user's frame often falls past the
 * tenth and the stack ends inside Kysely. Kysely's own Postgres and MySQL drivers extend their
 * errors' stacks in the same way: the capture is made only when a query has failed (a capture
 * per query would cost microseconds each), in the async function that awaited it, whose stack V8
 * rebuilds from the chain of awaiting callers.
 */

/**
 * Appends the frames of the code awaiting the caller (without the caller's own frame) to
 * `error.stack`, and returns `error`. Anything that is not an `Error` with a string stack is
 * returned as it is.
 *
 * @example
 * try {
 *   result = await client.execute(stmt);
 * } catch (error) {
 *   throw withCallerStack(error); // the stack now reaches the code that ran the Kysely query
 * }
 */
export function withCallerStack(error: unknown): unknown {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return error;
  const callers = new Error().stack?.split('\n').slice(2) ?? [];
  if (callers.length > 0) error.stack += `\n${callers.join('\n')}`;
  return error;
}
