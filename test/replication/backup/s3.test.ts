import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArchiveCatalog,
  ArchiveError,
  openTarget,
  restore,
  S3Target,
  startPrimary,
} from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { execute, fileBytes, txidOf, untilArchived, workloadStatement } from './backup-helpers.ts';
import { runRestore } from './cli-process.ts';
import { S3_CREDENTIALS, startS3Server, type S3Server } from './s3-server.ts';
import { targetSuite } from './target-suite.ts';

let server: S3Server;
let buckets = 0;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  for (const [key, value] of Object.entries(S3_CREDENTIALS)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  server = await startS3Server();
});
afterAll(async () => {
  await server?.close();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

targetSuite('S3Target (s3rver on 127.0.0.1)', async () => {
  const bucket = await server.bucket(`suite-${++buckets}`);
  return new S3Target({ bucket, prefix: 'app/archive', endpoint: server.endpoint });
});

describe('continuous backup to S3-compatible storage', () => {
  const temp = useTempDir();

  it('archives a primary to s3:// and restores it byte for byte, at a saved position and the newest', async () => {
    const bucket = await server.bucket(`backup-${++buckets}`);
    const location = `s3://${bucket}/prod/app?endpoint=${server.endpoint}`;
    const db = path.join(temp.dir, 'app.db');
    const options = { path: db, archive: { target: location, maxLagMs: 200, snapshotIntervalMs: 500, log: () => {} } };
    let primary = await startPrimary(options);
    await execute(primary.url, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)');
    for (let i = 0; i < 60; i++) await execute(primary.url, ...workloadStatement((i * 0.37) % 1, i));
    const middle = await untilArchived(primary.url);
    await primary.close();
    const middleBytes = await fileBytes(db);
    primary = await startPrimary(options);
    for (let i = 60; i < 120; i++) await execute(primary.url, ...workloadStatement((i * 0.61) % 1, i));
    await untilArchived(primary.url);
    await primary.close();

    const catalog = await ArchiveCatalog.read(openTarget(location));
    expect(catalog.generations).toHaveLength(1);
    expect(catalog.generations[0]!.name.startsWith(catalog.generations[0]!.dbId)).toBe(true);

    const atMiddle = path.join(temp.dir, 'middle.db');
    expect((await restore({ from: location, to: atMiddle, txid: txidOf(middle) })).position.toString()).toBe(middle);
    expect(fs.readFileSync(atMiddle).equals(middleBytes)).toBe(true);
    // The CLI, in a process of its own, with the credentials from the environment.
    const newest = path.join(temp.dir, 'newest.db');
    const cli = await runRestore(['--from', location, '--to', newest]);
    expect(cli.stderr.replace(/\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*/, '')).toBe('');
    expect(cli.code).toBe(0);
    expect(fs.readFileSync(newest).equals(await fileBytes(db))).toBe(true);

    // A damaged object in the bucket is refused by name, and nothing is written.
    // A batch that a restore to its last txid must read: no snapshot lies within it.
    const generation = catalog.generations[0]!;
    const { object, batch } = generation.batches.findLast(
      ({ batch: b }) =>
        !generation.snapshots.some(
          (s) => s.snapshot.position.txid >= b.firstTxid && s.snapshot.position.txid <= b.lastTxid,
        ),
    )!;
    const key = `prod/app/${object}`;
    const got = await server.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    bytes[bytes.length - 10]! ^= 1;
    await server.client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    const to = path.join(temp.dir, 'damaged.db');
    const error = await restore({ from: location, to, txid: batch.lastTxid }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as ArchiveError).object).toBe(object);
    expect(fs.existsSync(to)).toBe(false);
  });
});
