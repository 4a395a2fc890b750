import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** An S3-compatible server (s3rver) on 127.0.0.1 and a free port, storing in a temp dir. */
export interface S3Server {
  readonly endpoint: string;
  /** Creates a bucket and returns its name. */
  bucket(name: string): Promise<string>;
  /** A client of the server, with the credentials it accepts. */
  client(): S3Client;
  close(): Promise<void>;
}

/** The credentials s3rver accepts, set in `process.env` for the SDK's default chain. */
export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

/** Starts the server; a failure to start fails the test (s3rver is a dev dependency). */
export async function startS3Server(): Promise<S3Server> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = (): S3Client =>
    new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  return {
    endpoint,
    async bucket(name) {
      await client().send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    client,
    async close() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
