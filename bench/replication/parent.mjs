/**
 * The child side of processes.mjs: how a primary or task process talks to the suite that forked
 * it (the IPC channel, structured clone). The process exits when the suite goes away.
 *
 * ```js
 * const params = await firstMessage();
 * tell({ ready: { url } });
 * onMessage((message) => { if (message.stop) finish({ result: {} }); });
 * ```
 */

/** @typedef {Record<string, any>} Message */

function channel() {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('this script is a child of the replication benchmark (processes.mjs)');
  return send;
}

/**
 * Sends `message` to the suite.
 * @param {Message} message
 */
export function tell(message) {
  channel()(message);
}

/**
 * Sends `message` (a `result` or an `error`) and exits, with 0 or 1, once it is out.
 * @param {Message} message
 */
export function finish(message) {
  channel()(message, undefined, undefined, () => process.exit(message.error === undefined ? 0 : 1));
}

/**
 * Sends what went wrong (its stack) and exits with 1.
 * @param {unknown} error
 */
export function fail(error) {
  finish({ error: /** @type {any} */ (error)?.stack ?? String(error) });
}

/**
 * Calls `listener` with every message from the suite.
 * @param {(message: Message) => void} listener
 */
export function onMessage(listener) {
  process.on('message', (message) => listener(/** @type {Message} */ (message)));
}

/**
 * The first message from the suite (what to start).
 * @returns {Promise<Message>}
 */
export function firstMessage() {
  return new Promise((resolve) => process.once('message', (message) => resolve(/** @type {Message} */ (message))));
}

process.on('disconnect', () => process.exit(0));
