import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { ArchiveCatalog, openTarget } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { execute, fileBytes, status, txidOf, untilArchived } from './backup-helpers.ts';
import { runRestore, startPrimaryProcess, type PrimaryProcess } from './cli-process.ts';

describe('an archiving primary killed with SIGKILL during uploads', () => {
  const temp = useTempDir();
  const running: PrimaryProcess[] = [];
  afterEach(() => {
    for (const p of running.splice(0)) p.child.kill('SIGKILL');
  });

  it('leaves an archive that restores every acknowledged and archived write, and the restarted primary continues it', async () => {
    const db = path.join(temp.dir, 'app.db');
    const archive = path.join(temp.dir, 'archive');
    const flags = ['--archive', archive, '--archive-max-lag-ms', '200', '--archive-snapshot-interval-ms', '400'];
    let primary = await startPrimaryProcess(db, flags);
    running.push(primary);
    const port = Number(new URL(primary.url).port);
    await execute(primary.url, 'CREATE TABLE w (uid TEXT PRIMARY KEY, v BLOB)');

    /** Acknowledged writes and the txid each committed at. */
    const acknowledged: Array<[string, bigint]> = [];
    let archivedTxid = 0n;
    let stop = false;
    const writer = async (name: string): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const position = await execute(`http://127.0.0.1:${port}`, 'INSERT INTO w VALUES (?, randomblob(?))', [
            `${name}-${i}`,
            500 + (i % 4000),
          ]);
          acknowledged.push([`${name}-${i}`, txidOf(position)]);
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const watcher = async (): Promise<void> => {
      while (!stop) {
        try {
          const archived = (await status(`http://127.0.0.1:${port}`)).archive?.position as string | null;
          if (archived !== null && archived !== undefined && txidOf(archived) > archivedTxid)
            archivedTxid = txidOf(archived);
        } catch {
          // Killed meanwhile.
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const load = Promise.all([writer('a'), writer('b'), watcher()]);
    while (archivedTxid < 300n) await new Promise((r) => setTimeout(r, 20));
    primary.child.kill('SIGKILL');
    await primary.exited;
    const archivedAtKill = archivedTxid;
    const ackedAtKill = acknowledged.length;

    // The archive as the kill left it restores at least what /status said was archived.
    const killed = path.join(temp.dir, 'killed.db');
    const first = await runRestore(['--from', archive, '--to', killed]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(txidOf(/ at (\S+)/.exec(first.stdout)![1]!)).toBeGreaterThanOrEqual(archivedAtKill);
    const restored = await open(killed, { readonly: true });
    const uids = new Set(restored.prepare('SELECT uid FROM w').pluck().all() as string[]);
    restored.close();
    const missing = acknowledged
      .slice(0, ackedAtKill)
      .filter(([uid, txid]) => txid <= archivedAtKill && !uids.has(uid));
    expect(missing, 'acknowledged and archived writes missing from the restore').toEqual([]);

    // Started again on the same port: the archive goes on in the same generation.
    primary = await startPrimaryProcess(db, flags, port);
    running.push(primary);
    while (acknowledged.length < ackedAtKill + 200) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await load;
    await untilArchived(primary.url);
    primary.child.kill('SIGTERM');
    expect(await primary.exited).toBe(0);

    const catalog = await ArchiveCatalog.read(openTarget(archive));
    expect(catalog.generations).toHaveLength(1);
    const listed = await runRestore(['--from', archive, '--list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`generation ${catalog.generations[0]!.name}`);
    expect(listed.stdout).toMatch(/txid \d+\.\.\d+ /);

    const latest = path.join(temp.dir, 'latest.db');
    const last = await runRestore(['--from', archive, '--to', latest]);
    expect(last.code).toBe(0);
    expect(fs.readFileSync(latest).equals(await fileBytes(db)), 'the restore differs from the primary').toBe(true);
  });
});
