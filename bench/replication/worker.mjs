/**
 * One measurement of the replication benchmark in a child process (see processes.mjs): started
 * with `{ kind: 'task', params: { task, params } }`, it runs `tasks[task](params, io)`
 * (tasks/index.mjs) and answers `{ result }` (or `{ error }`). A task may announce `{ ready }` (io.ready(value)) and wait for the
 * suite's `{ stop }` message (io.stopped, a promise of that message); io.onMessage and io.send
 * carry anything else.
 */
import { fail, finish, firstMessage, onMessage, tell } from './parent.mjs';
import * as tasks from './tasks/index.mjs';

const { params: spec } = await firstMessage();
/** @type {(message: Record<string, any>) => void} */
let stop = () => {};
/** @type {Promise<Record<string, any>>} */
const stopped = new Promise((resolve) => (stop = resolve));
onMessage((message) => {
  if (message.stop) stop(message);
});
try {
  const io = {
    /** @param {unknown} value */
    ready: (value) => tell({ ready: value }),
    stopped,
    onMessage,
    send: tell,
  };
  const result = await /** @type {Record<string, Function>} */ (tasks)[spec.task](spec.params, io);
  finish({ result: result ?? {} });
} catch (error) {
  fail(error);
}
