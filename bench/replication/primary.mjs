/**
 * A replication primary as a child process of the benchmark (see processes.mjs): started with
 * `{ kind: 'primary', params: { path, ...PrimaryOptions } }`, it answers `{ ready: { url, startMs } }`
 * once it listens on 127.0.0.1, and `{ result: { maxRssMiB } }` after a `{ stop }` message closed it.
 */
import { BUNDLE } from './bundle-path.mjs';
import { fail, finish, firstMessage, onMessage, tell } from './parent.mjs';

const { startPrimary } = await import(BUNDLE);
const { params } = await firstMessage();
try {
  const t0 = performance.now();
  const primary = await startPrimary(params);
  tell({ ready: { url: primary.url, startMs: performance.now() - t0 } });
  onMessage(async (message) => {
    if (!message.stop) return;
    await primary.close();
    finish({ result: { maxRssMiB: process.resourceUsage().maxRSS / 1024 } });
  });
} catch (error) {
  fail(error);
}
