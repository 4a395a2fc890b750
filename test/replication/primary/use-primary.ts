import path from 'node:path';
import { afterEach } from 'vitest';
import { startPrimary, type Primary, type PrimaryOptions } from '../../../replication/index.ts';
import { useTempDir, type TempDir } from '../../support/temp-dir.ts';

/**
 * For a `describe` block: a fresh temp dir per test and a `start` that serves `app.db` in it with
 * the options given; the primary it started is closed after the test.
 *
 * @example
 * const { temp, start } = usePrimary();
 * const primary = await start({ tokens: { write: ['w'] } });
 */
export function usePrimary(): { temp: TempDir; start: (options?: Omit<PrimaryOptions, 'path'>) => Promise<Primary> } {
  const temp = useTempDir();
  let primary: Primary | undefined;
  afterEach(async () => {
    await primary?.close();
    primary = undefined;
  });
  return {
    temp,
    async start(options = {}) {
      primary = await startPrimary({ path: path.join(temp.dir, 'app.db'), ...options });
      return primary;
    },
  };
}
