import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { NodeFsVfs, type WalCommit } from '../../../core/vfs/index.ts';
import { memoryHarness, nodeFsHarness } from '../../support/vfs-harness.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { observeSuite } from './observe-suite.ts';

observeSuite('NodeFsVfs', nodeFsHarness);
observeSuite('MemoryVfs', memoryHarness);

describe('commit observers on NodeFsVfs', () => {
  const temp = useTempDir();

  it('see the commits of every NodeFsVfs of the engine, the default one included', async () => {
    const engine = await loadEngine();
    const vfs = NodeFsVfs.create(engine, { name: `observing-${process.pid}` });
    const file = path.join(fs.realpathSync(temp.dir), 'app.db');
    const commits: WalCommit[] = [];
    const stop = vfs.observe(file, { commit: (c) => void commits.push(c) });
    try {
      const db = await open(file); // through the default "wasmlite" VFS
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      db.close();
      expect(commits).toHaveLength(2);
    } finally {
      stop();
      vfs.unregister();
    }
  });
});
