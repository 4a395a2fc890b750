import fs from 'node:fs';
import { describe } from 'vitest';
import { ETCD_BINARY } from '../../examples/ha/etcd-server.ts';

export { EtcdServer, freePort } from '../../examples/ha/etcd-server.ts';

/**
 * Whether failover tests can run: etcd is installed, or this is CI, where a missing etcd must fail
 * the tests (they then run and fail to start it) rather than skip them.
 */
export const etcdPresent = fs.existsSync(ETCD_BINARY);

/**
 * `describe` for tests that need etcd: skipped with a message where etcd is not installed,
 * except under `CI=true`, where they run (and fail).
 */
export function describeWithEtcd(name: string, body: () => void): void {
  const run = etcdPresent || process.env.CI === 'true';
  if (!run) console.warn(`${name}: skipped, ${ETCD_BINARY} is not installed (apt-get install etcd-server)`);
  describe.skipIf(!run)(name, body);
}
