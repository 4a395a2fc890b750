import { Readable } from 'node:stream';
import { ArchiveError } from './archive-error.ts';
import type { BackupTarget, ObjectBody } from './backup-target.ts';

/**
 * Where an S3 archive is, as {@link S3Target} takes it.
 *
 * @example
 * const where: S3Location = { bucket: 'backups', prefix: 'app', endpoint: 'http://127.0.0.1:9000' };
 */
export interface S3Location {
  readonly bucket: string;
  /** The archive's objects are under `<prefix>/` (default: the bucket's root). */
  readonly prefix?: string;
  /** An S3-compatible server's URL (MinIO, R2, …); default AWS, or `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`. */
  readonly endpoint?: string;
  /** Default `AWS_REGION`, else `us-east-1`. */
  readonly region?: string;
  /** Address buckets as `<endpoint>/<bucket>` rather than `<bucket>.<endpoint>` (default: true with an endpoint). */
  readonly forcePathStyle?: boolean;
}

/** The part of `@aws-sdk/client-s3` used here. */
interface S3Module {
  S3Client: new (config: Record<string, unknown>) => {
    send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<any>;
  };
  PutObjectCommand: new (input: Record<string, unknown>) => unknown;
  GetObjectCommand: new (input: Record<string, unknown>) => unknown;
  ListObjectsV2Command: new (input: Record<string, unknown>) => unknown;
  DeleteObjectCommand: new (input: Record<string, unknown>) => unknown;
}

const PACKAGE = '@aws-sdk/client-s3';

async function loadS3(): Promise<S3Module> {
  try {
    return (await import(PACKAGE)) as unknown as S3Module;
  } catch (cause) {
    throw new ArchiveError(
      'ARCHIVE_TARGET',
      `an s3:// archive needs the optional peer dependency ${PACKAGE}, which cannot be loaded: npm install ${PACKAGE}`,
      undefined,
      cause,
    );
  }
}

/** `chunks`, failing if they do not add up to `length` bytes. */
async function* exactly(chunks: AsyncIterable<Uint8Array>, length: number, name: string): AsyncGenerator<Uint8Array> {
  let received = 0;
  for await (const chunk of chunks) {
    received += chunk.length;
    if (received > length) break;
    yield chunk;
  }
  if (received !== length) throw new Error(`the body of ${name} has ${received} bytes, not ${length}`);
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * An archive in S3-compatible object storage through the AWS SDK (`@aws-sdk/client-s3`, an
 * optional peer dependency loaded on first use: an {@link ArchiveError} `ARCHIVE_TARGET` says so
 * if it is not installed). Credentials come from the SDK's usual chain (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, profiles, instance roles). A `PutObject` is atomic in S3: an object
 * is listed and readable only once all of it is stored, and an upload cut short stores nothing,
 * so objects are written under their final names directly.
 *
 * @example
 * const target = new S3Target({ bucket: 'backups', prefix: 'app', endpoint: 'http://127.0.0.1:9000' });
 */
export class S3Target implements BackupTarget {
  readonly location: string;
  readonly #where: S3Location;
  readonly #prefix: string;
  #client: Promise<{ module: S3Module; client: InstanceType<S3Module['S3Client']> }> | undefined;

  /** Throws a TypeError for a missing bucket; the SDK is loaded on the first call. */
  constructor(where: S3Location) {
    if (where === null || typeof where !== 'object') throw new TypeError('Expected the S3 location to be an object');
    if (typeof where.bucket !== 'string' || where.bucket === '')
      throw new TypeError('Expected the "bucket" option to be a non-empty string');
    this.#where = where;
    this.#prefix = (where.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.location = `s3://${where.bucket}${this.#prefix === '' ? '' : `/${this.#prefix}`}`;
  }

  #key(name: string): string {
    return this.#prefix === '' ? name : `${this.#prefix}/${name}`;
  }

  #connect(): Promise<{ module: S3Module; client: InstanceType<S3Module['S3Client']> }> {
    return (this.#client ??= loadS3().then((module) => {
      const endpoint = this.#where.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
      const client = new module.S3Client({
        region: this.#where.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        ...(endpoint === undefined ? {} : { endpoint }),
        forcePathStyle: this.#where.forcePathStyle ?? endpoint !== undefined,
        // Objects carry their own CRCs; the SDK's extra checksums are not understood by every
        // S3-compatible server.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      return { module, client };
    }));
  }

  async put(name: string, body: ObjectBody): Promise<void> {
    const { module, client } = await this.#connect();
    const command = (input: Record<string, unknown>): unknown =>
      new module.PutObjectCommand({ Bucket: this.#where.bucket, Key: this.#key(name), ...input });
    if (body instanceof Uint8Array) {
      await client.send(command({ Body: body, ContentLength: body.length }));
      return;
    }
    // A body that fails or ends short aborts the request: S3 then stores nothing (a request cut
    // short is never an object), and the server is not left waiting for the missing bytes.
    const abort = new AbortController();
    let failure: unknown;
    const stream = Readable.from(exactly(body.chunks, body.length, name));
    stream.on('error', (error) => {
      failure = error;
      abort.abort();
    });
    try {
      await client.send(command({ Body: stream, ContentLength: body.length }), { abortSignal: abort.signal });
    } catch (error) {
      throw failure ?? error;
    } finally {
      stream.destroy();
    }
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    const { module, client } = await this.#connect();
    try {
      const out = await client.send(new module.GetObjectCommand({ Bucket: this.#where.bucket, Key: this.#key(name) }));
      return (await out.Body.transformToByteArray()) as Uint8Array;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async read(name: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const { module, client } = await this.#connect();
    try {
      const out = await client.send(new module.GetObjectCommand({ Bucket: this.#where.bucket, Key: this.#key(name) }));
      return out.Body as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const { module, client } = await this.#connect();
    const names: string[] = [];
    const strip = this.#prefix === '' ? 0 : this.#prefix.length + 1;
    let token: string | undefined;
    do {
      const out = await client.send(
        new module.ListObjectsV2Command({
          Bucket: this.#where.bucket,
          Prefix: this.#key(prefix),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const item of out.Contents ?? []) if (typeof item.Key === 'string') names.push(item.Key.slice(strip));
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return names;
  }

  async delete(name: string): Promise<void> {
    const { module, client } = await this.#connect();
    await client.send(new module.DeleteObjectCommand({ Bucket: this.#where.bucket, Key: this.#key(name) }));
  }
}
