import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPrimary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { execute, status, txidOf, untilArchived } from './backup-helpers.ts';

describe('startPrimary({ archive })', () => {
  const temp = useTempDir();

  it('refuses bad archive options with a TypeError and leaves the database free', async () => {
    const db = path.join(temp.dir, 'app.db');
    await expect(startPrimary({ path: db, archive: { target: '' } })).rejects.toThrow(
      'Expected the archive to be a directory, an s3://bucket/prefix URL or a BackupTarget',
    );
    await expect(
      startPrimary({ path: db, archive: { target: path.join(temp.dir, 'archive'), maxLagMs: 0 } }),
    ).rejects.toThrow('Expected the "maxLagMs" option to be a positive integer');
    const primary = await startPrimary({ path: db });
    expect((await status(primary.url)).archive).toBeNull();
    await primary.close();
  });

  it('shows the archived position and the lag in /status and /metrics', async () => {
    const archive = path.join(temp.dir, 'archive');
    const primary = await startPrimary({
      path: path.join(temp.dir, 'app.db'),
      archive: { target: archive, log: () => {} },
    });
    try {
      await execute(primary.url, 'CREATE TABLE t (v)');
      const position = await untilArchived(primary.url);
      const { archive: shown } = await status(primary.url);
      expect(shown).toMatchObject({ target: archive, position, lagTxids: 0, lagMs: 0, error: null });
      expect(shown!.generation).toMatch(/^[0-9a-f]{32}-[0-9a-f]{16}$/);
      const metrics = await (await fetch(`${primary.url}/metrics`)).text();
      expect(metrics).toContain(`wasmlite_archive_txid ${txidOf(position)}\n`);
      expect(metrics).toContain('wasmlite_archive_lag_seconds 0\n');
      expect(metrics).toContain('wasmlite_archive_failing 0\n');
    } finally {
      await primary.close();
    }
  });
});
