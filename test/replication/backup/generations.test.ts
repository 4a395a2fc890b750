import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveCatalog, openTarget, restore, startPrimary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { execute, fileBytes, txidOf, untilArchived } from './backup-helpers.ts';

/** Every object of the archive with its bytes. */
function contents(archive: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(archive, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out.set(path.relative(archive, file), fs.readFileSync(file));
    }
  return out;
}

describe('archive generations', () => {
  const temp = useTempDir();

  it('begins a new generation when the primary is on another branch of the history, and leaves the old one intact', async () => {
    const db = path.join(temp.dir, 'app.db');
    const archive = path.join(temp.dir, 'archive');
    const options = { path: db, archive: { target: archive, maxLagMs: 100, log: () => {} } };
    let primary = await startPrimary(options);
    await execute(primary.url, 'CREATE TABLE t (v TEXT)');
    for (let i = 0; i < 10; i++) await execute(primary.url, 'INSERT INTO t VALUES (?)', [`a${i}`]);
    await untilArchived(primary.url);
    await primary.close();
    // The primary's files at txid 11, as a replica that a failover promotes may have them.
    const copy = path.join(temp.dir, 'copy');
    fs.mkdirSync(copy);
    for (const name of fs.readdirSync(temp.dir).filter((n) => n.startsWith('app.db')))
      fs.cpSync(path.join(temp.dir, name), path.join(copy, name), { recursive: true });

    primary = await startPrimary(options);
    for (let i = 10; i < 20; i++) await execute(primary.url, 'INSERT INTO t VALUES (?)', [`a${i}`]);
    const first = await untilArchived(primary.url);
    await primary.close();
    const firstBytes = await fileBytes(db);
    const before = contents(archive);

    // The older copy takes over and commits other transactions: txids 12.. differ.
    for (const name of fs.readdirSync(temp.dir).filter((n) => n.startsWith('app.db')))
      fs.rmSync(path.join(temp.dir, name), { recursive: true });
    for (const name of fs.readdirSync(copy))
      fs.cpSync(path.join(copy, name), path.join(temp.dir, name), { recursive: true });
    primary = await startPrimary(options);
    for (let i = 0; i < 5; i++) await execute(primary.url, 'INSERT INTO t VALUES (?)', [`b${i}`]);
    const second = await untilArchived(primary.url);
    await primary.close();
    expect(txidOf(second)).toBeLessThan(txidOf(first));

    const after = contents(archive);
    for (const [name, bytes] of before) expect(after.get(name)?.equals(bytes), name).toBe(true);
    const catalog = await ArchiveCatalog.read(openTarget(archive));
    expect(catalog.generations).toHaveLength(2);
    expect(catalog.generations[0]!.dbId).toBe(catalog.generations[1]!.dbId);

    const newest = path.join(temp.dir, 'newest.db');
    expect((await restore({ from: archive, to: newest })).position.toString()).toBe(second);
    expect(fs.readFileSync(newest).equals(await fileBytes(db))).toBe(true);
    const old = path.join(temp.dir, 'old.db');
    const result = await restore({ from: archive, to: old, generation: catalog.generations[0]!.name });
    expect(result.position.toString()).toBe(first);
    expect(fs.readFileSync(old).equals(firstBytes)).toBe(true);
  });

  it('gives a database whose log was begun again (a new identity) a generation of its own', async () => {
    const db = path.join(temp.dir, 'app.db');
    const archive = path.join(temp.dir, 'archive');
    const options = { path: db, archive: { target: archive, maxLagMs: 100, log: () => {} } };
    let primary = await startPrimary(options);
    await execute(primary.url, 'CREATE TABLE t (v TEXT)');
    const first = await untilArchived(primary.url);
    await primary.close();
    fs.rmSync(`${db}-log`, { recursive: true });
    primary = await startPrimary(options);
    await execute(primary.url, 'INSERT INTO t VALUES (1)');
    const second = await untilArchived(primary.url);
    await primary.close();

    const catalog = await ArchiveCatalog.read(openTarget(archive));
    expect(catalog.generations).toHaveLength(2);
    expect(catalog.generations[0]!.dbId).not.toBe(catalog.generations[1]!.dbId);
    const newest = path.join(temp.dir, 'newest.db');
    expect((await restore({ from: archive, to: newest })).position.toString()).toBe(second);
    expect(fs.readFileSync(newest).equals(await fileBytes(db))).toBe(true);
    const old = path.join(temp.dir, 'old.db');
    const generation = catalog.generations[0]!.name;
    expect((await restore({ from: archive, to: old, generation })).position.toString()).toBe(first);
  });
});
