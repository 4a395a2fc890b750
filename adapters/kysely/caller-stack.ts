/**
 * Adds the calling code's frames to a query error's stack.
 *
 * V8 keeps 10 frames of a stack. An error raised by the client starts with the client's own
 * frames and, through a replica, its HTTP transport's, so the user's frame often falls past the
 * tenth and the stack ends inside Kysely. Kysely's own Postgres, MySQL and PGlite drivers extend
 * their errors' stacks for the same reason; they capture the caller before each query, which
 * costs a stack capture per query. Here the capture is made only when a query has failed, from
 * the async function that awaited it: V8 rebuilds that stack from the chain of awaiting callers.
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
