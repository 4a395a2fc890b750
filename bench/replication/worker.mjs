/**
 * One measurement of the replication benchmark in a child process (see processes.mjs): started
 * with `{ kind: 'task', params: { task, params } }`, it runs `tasks[task](params, io)`
 * (tasks/index.mjs) and answers `{ result }` (or `{ error }`). A task may announce `{ ready }` (io.ready(value)) and wait for the
 * suite's `{ stop }` message (io.stopped, a promise of that message); io.onMessage and io.send
 * carry anything else.
 */
import * as tasks from './tasks/index.mjs';

process.once('message', async ({ params: { task, params } }) => {
  let stop;
  const stopped = new Promise((resolve) => (stop = resolve));
  process.on('message', (message) => {
    if (message.stop) stop(message);
  });
  try {
    const io = {
      ready: (value) => process.send({ ready: value }),
      stopped,
      onMessage: (listener) => process.on('message', listener),
      send: (message) => process.send(message),
    };
    const result = await tasks[task](params, io);
    process.send({ result: result ?? {} }, () => process.exit(0));
  } catch (error) {
    process.send({ error: error?.stack ?? String(error) }, () => process.exit(1));
  }
});
process.on('disconnect', () => process.exit(0));
