import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryTarget, restore, startPrimary, type BackupTarget } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { execute, fileBytes, status, untilArchived } from './backup-helpers.ts';

describe('an archive target that fails for a while', () => {
  const temp = useTempDir();

  it('shows the failure and the growing lag, then catches up without losing a record', async () => {
    const archive = path.join(temp.dir, 'archive');
    const directory = new DirectoryTarget(archive);
    let failing = false;
    const target: BackupTarget = {
      location: directory.location,
      put: (name, body) =>
        failing ? Promise.reject(new Error('the backup disk is unplugged')) : directory.put(name, body),
      get: (name) => directory.get(name),
      read: (name) => directory.read(name),
      list: (prefix) => directory.list(prefix),
      delete: (name) => directory.delete(name),
    };
    const db = path.join(temp.dir, 'app.db');
    const primary = await startPrimary({ path: db, archive: { target, maxLagMs: 100, log: () => {} } });
    try {
      await execute(primary.url, 'CREATE TABLE t (v BLOB)');
      await untilArchived(primary.url);
      failing = true;
      for (let i = 0; i < 30; i++) await execute(primary.url, 'INSERT INTO t VALUES (randomblob(2000))');
      await new Promise((r) => setTimeout(r, 500));
      const during = (await status(primary.url)).archive!;
      expect(during.error).toBe('the backup disk is unplugged');
      expect(during.lagTxids).toBe(30);
      expect(during.lagMs).toBeGreaterThan(0);
      failing = false;
      await untilArchived(primary.url);
      expect((await status(primary.url)).archive!.error).toBeNull();
    } finally {
      await primary.close();
    }
    const to = path.join(temp.dir, 'restored.db');
    await restore({ from: archive, to });
    expect(fs.readFileSync(to).equals(await fileBytes(db))).toBe(true);
  });
});
