import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ArchiveCatalog,
  ArchiveError,
  openTarget,
  restore,
  startPrimary,
  TxRecord,
  type RestoreOptions,
} from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { execute, txidOf, untilArchived } from './backup-helpers.ts';
import { runRestore } from './cli-process.ts';

/** The restore's error, and that it left nothing at `to` (nor its temporary file). */
async function refused(options: RestoreOptions): Promise<ArchiveError> {
  const error = await restore(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArchiveError);
  const dir = path.dirname(options.to);
  expect(fs.readdirSync(dir).filter((name) => name.startsWith(path.basename(options.to)))).toEqual([]);
  return error as ArchiveError;
}

describe('restore from a damaged, incomplete or foreign archive', () => {
  const temp = useTempDir();
  let archive: string;
  let positions: string[];
  let times: number[];

  beforeEach(async () => {
    archive = path.join(temp.dir, 'archive');
    const primary = await startPrimary({
      path: path.join(temp.dir, 'app.db'),
      archive: { target: archive, maxLagMs: 100, snapshotIntervalMs: 60_000, log: () => {} },
    });
    positions = [await execute(primary.url, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)')];
    times = [Date.now()];
    await untilArchived(primary.url);
    for (let i = 0; i < 60; i++) {
      positions.push(await execute(primary.url, 'INSERT INTO t (v) VALUES (randomblob(3000))'));
      times.push(Date.now());
      // Several record batches.
      if (i % 15 === 14) await untilArchived(primary.url);
    }
    await untilArchived(primary.url);
    await primary.close();
  });

  async function batches(): Promise<string[]> {
    const catalog = await ArchiveCatalog.read(openTarget(archive));
    return catalog.generations[0]!.batches.map((b) => b.object);
  }

  it('restores the last transaction committed at or before a time (--time)', async () => {
    const to = path.join(temp.dir, 'at-time.db');
    const i = 30;
    // The record's own commit time is at or before the acknowledgement seen here.
    const result = await restore({ from: archive, to, time: new Date(times[i]!) });
    expect(result.position.txid).toBeGreaterThanOrEqual(txidOf(positions[i]!));
    expect(result.position.txid).toBeLessThan(txidOf(positions[i + 1]!));
    expect(result.position.toString()).toBe(positions.find((p) => txidOf(p) === result.position.txid));
    const before = await refused({ from: archive, to: path.join(temp.dir, 'x.db'), time: new Date(0) });
    expect(before.code).toBe('NOT_RESTORABLE');
  });

  it('refuses a record batch with a flipped bit, naming it, and writes nothing', async () => {
    const object = (await batches())[1]!;
    const file = path.join(archive, object);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
    fs.writeFileSync(file, bytes);
    const error = await refused({ from: archive, to: path.join(temp.dir, 'out.db') });
    expect(error.code).toBe('ARCHIVE_DAMAGED');
    expect(error.object).toBe(object);
    expect(error.message).toContain(object);
  });

  it('refuses a truncated snapshot, naming it', async () => {
    const catalog = await ArchiveCatalog.read(openTarget(archive));
    const object = catalog.generations[0]!.snapshots[0]!.object;
    const file = path.join(archive, object);
    fs.truncateSync(file, fs.statSync(file).size - 4096);
    const error = await refused({ from: archive, to: path.join(temp.dir, 'out.db') });
    expect(error.code).toBe('ARCHIVE_DAMAGED');
    expect(error.object).toBe(object);
  });

  it('refuses a point whose records are missing, naming the missing batch, and through the CLI', async () => {
    const object = (await batches())[1]!;
    fs.rmSync(path.join(archive, object));
    const error = await refused({ from: archive, to: path.join(temp.dir, 'out.db') });
    expect(error.code).toBe('ARCHIVE_MISSING');
    const firstTxid = object.split('/').pop()!.slice(0, 16);
    expect(error.object).toContain(`/records/${firstTxid}-`);
    const cli = await runRestore(['--from', archive, '--to', path.join(temp.dir, 'cli.db')]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`ArchiveError: generation`);
    expect(cli.stderr).toContain(`/records/${firstTxid}-`);
    expect(fs.existsSync(path.join(temp.dir, 'cli.db'))).toBe(false);
    // Points before the gap still restore.
    const early = await restore({
      from: archive,
      to: path.join(temp.dir, 'early.db'),
      txid: BigInt(`0x${firstTxid}`) - 1n,
    });
    expect(early.position.txid).toBe(BigInt(`0x${firstTxid}`) - 1n);
  });

  it('refuses an object of another format version clearly', async () => {
    const object = (await batches())[0]!;
    const file = path.join(archive, object);
    const bytes = fs.readFileSync(file);
    // A record batch of version 2, with its checksums right: a newer layout, not damage.
    bytes.writeUInt16BE(2, 4);
    bytes.writeUInt32BE(crc32(bytes.subarray(0, 60)), 60);
    bytes.writeUInt32BE(crc32(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
    fs.writeFileSync(file, bytes);
    const error = await refused({ from: archive, to: path.join(temp.dir, 'out.db') });
    expect(error.code).toBe('ARCHIVE_VERSION');
    expect(error.message).toBe(
      `archive object ${object} is a version 2 record batch; this wasmlite reads version 1 (restore with a newer wasmlite)`,
    );
  });

  it('refuses a transaction record of a version it does not read inside a batch', async () => {
    const object = (await batches())[0]!;
    const file = path.join(archive, object);
    const bytes = fs.readFileSync(file);
    // The first record (at 64 + 4): version 9, both of its CRCs and the batch's trailer made right.
    const record = bytes.subarray(68, 68 + bytes.readUInt32BE(64));
    expect(TxRecord.decode(record).txid).toBeGreaterThan(0n);
    record.writeUInt16BE(9, 4);
    record.writeUInt32BE(crc32(record.subarray(0, 92)), 92);
    record.writeUInt32BE(crc32(record.subarray(0, record.length - 4)), record.length - 4);
    bytes.writeUInt32BE(crc32(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
    fs.writeFileSync(file, bytes);
    const error = await refused({ from: archive, to: path.join(temp.dir, 'out.db') });
    expect(error.code).toBe('ARCHIVE_VERSION');
    expect(error.message).toContain(`archive object ${object} holds a transaction record of a version`);
  });

  it('never overwrites an existing file', async () => {
    const to = path.join(temp.dir, 'exists.db');
    fs.writeFileSync(to, 'keep me');
    await expect(restore({ from: archive, to })).rejects.toThrow(TypeError);
    expect(fs.readFileSync(to, 'utf8')).toBe('keep me');
  });
});
