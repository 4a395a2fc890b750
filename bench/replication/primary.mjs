/**
 * A replication primary as a child process of the benchmark (see processes.mjs): started with
 * `{ kind: 'primary', params: { path, ...PrimaryOptions } }`, it answers `{ ready: { url, startMs } }`
 * once it listens on 127.0.0.1, and `{ result: { maxRssMiB } }` after a `{ stop }` message closed it.
 */
import { BUNDLE } from './bundle-path.mjs';

const { startPrimary } = await import(BUNDLE);

process.once('message', async ({ params }) => {
  try {
    const t0 = performance.now();
    const primary = await startPrimary(params);
    process.send({ ready: { url: primary.url, startMs: performance.now() - t0 } });
    process.on('message', async (message) => {
      if (!message.stop) return;
      await primary.close();
      process.send({ result: { maxRssMiB: process.resourceUsage().maxRSS / 1024 } }, () => process.exit(0));
    });
  } catch (error) {
    process.send({ error: error?.stack ?? String(error) }, () => process.exit(1));
  }
});
process.on('disconnect', () => process.exit(0));
