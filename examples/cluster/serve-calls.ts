/**
 * The child side of {@link ClusterNode}: answers `{ id, op, args }` messages with `handlers[op]`,
 * reports `ready`, exits after answering `close`, and exits when the parent goes away.
 */
export function serveCalls(ready: unknown, handlers: Record<string, (...args: any[]) => unknown>): void {
  process.on('message', (message: { id: number; op: string; args: unknown[] }) => {
    const handler = handlers[message.op];
    Promise.resolve()
      .then(() => {
        if (handler === undefined) throw new TypeError(`unknown op ${message.op}`);
        return handler(...message.args);
      })
      .then(
        // After `close` the node has let go of its files: exit once the answer is out.
        (value) =>
          process.send!({ id: message.id, ok: true, value }, () => {
            if (message.op === 'close') process.exit(0);
          }),
        (error: Error & { code?: string }) =>
          process.send!({
            id: message.id,
            ok: false,
            error: { name: error.name, code: error.code, message: error.message },
          }),
      );
  });
  // A parent that dies (even by SIGKILL) closes the channel: never outlive it.
  process.on('disconnect', () => process.exit(1));
  process.send!({ ready });
}
