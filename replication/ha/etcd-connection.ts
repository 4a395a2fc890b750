/**
 * The part of the `etcd3` client's raw gRPC stubs that wasmlite uses (kept to that, so the
 * package stays an optional peer dependency: its types are not needed to build against ours).
 * int64s come as decimal strings.
 */
interface Etcd3Module {
  Etcd3: new (options: { hosts: string[]; dialTimeout?: number }) => Etcd3Client;
}

interface CallOptions {
  readonly deadline: number;
}

interface RawKeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly create_revision: string;
  readonly mod_revision: string;
}

interface Etcd3Client {
  readonly kv: {
    range(request: object, options?: CallOptions): Promise<{ kvs: RawKeyValue[]; header: { revision: string } }>;
    put(request: object, options?: CallOptions): Promise<{ header: { revision: string } }>;
    txn(request: object, options?: CallOptions): Promise<{ header: { revision: string }; succeeded: boolean }>;
  };
  readonly leaseClient: {
    leaseGrant(request: object, options?: CallOptions): Promise<{ ID: string; TTL: string; error?: string }>;
    leaseRevoke(request: object, options?: CallOptions): Promise<unknown>;
    leaseKeepAlive(options?: CallOptions): Promise<KeepAliveStream>;
  };
  close(): void;
}

interface KeepAliveStream {
  write(request: { ID: string }): void;
  end(): void;
  on(event: 'data', listener: (response: { ID: string; TTL: string }) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/** A key's value and revisions, as read from etcd. */
export interface EtcdEntry {
  readonly key: string;
  readonly value: string;
  /** The revision that created the key (stays while the key lives). */
  readonly createRevision: bigint;
  readonly modRevision: bigint;
}

/** A lease granted by etcd: its id and the TTL etcd granted, in seconds (it may raise the asked one). */
export interface GrantedLease {
  readonly id: string;
  readonly ttlSeconds: number;
}

/** How long one call to etcd may take before it counts as failed (etcd on a LAN answers in ms). */
const CALL_TIMEOUT_MS = 1000;

let loading: Promise<Etcd3Module> | undefined;

/** Loads the optional `etcd3` package once; a clear error if it is not installed. */
function loadEtcd3(): Promise<Etcd3Module> {
  loading ??= import('etcd3' as string).then(
    (module) => module as Etcd3Module,
    (cause: unknown) => {
      loading = undefined;
      throw new Error('wasmlite nodes need the etcd3 package (npm install etcd3)', { cause });
    },
  );
  return loading;
}

/** The range end that selects every key under `prefix` (etcd's "prefix + 1"). */
function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]!++;
  return end;
}

function entry(kv: RawKeyValue): EtcdEntry {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: BigInt(kv.create_revision),
    modRevision: BigInt(kv.mod_revision),
  };
}

/**
 * The etcd operations failover is built of, each bounded by a deadline: leases (grant, one
 * keepalive, revoke), a create-if-absent transaction, reads and puts. Every method rejects when
 * etcd cannot be reached within the deadline; nothing retries by itself.
 *
 * @example
 * const etcd = await EtcdConnection.connect(['http://127.0.0.1:2379']);
 * const lease = await etcd.grant(2);
 * const revision = await etcd.createIfAbsent('/app/leader', 'http://10.0.0.1:7878', lease.id);
 */
export class EtcdConnection {
  readonly #client: Etcd3Client;

  private constructor(client: Etcd3Client) {
    this.#client = client;
  }

  /** Connects lazily to `endpoints` (`http://host:port` each); loads `etcd3` first. */
  static async connect(endpoints: readonly string[]): Promise<EtcdConnection> {
    const { Etcd3 } = await loadEtcd3();
    return new EtcdConnection(new Etcd3({ hosts: [...endpoints], dialTimeout: CALL_TIMEOUT_MS }));
  }

  /** Asks for a lease of `ttlSeconds`. */
  async grant(ttlSeconds: number): Promise<GrantedLease> {
    const response = await this.#client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }, deadline());
    if (response.error) throw new Error(`etcd refused a lease: ${response.error}`);
    return { id: response.ID, ttlSeconds: Number(response.TTL) };
  }

  /**
   * Renews lease `id` once; resolves with the TTL etcd restarted it with, in seconds (0 when the
   * lease no longer exists).
   */
  async keepAlive(id: string): Promise<number> {
    const stream = await this.#client.leaseClient.leaseKeepAlive(deadline());
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('etcd did not answer a keepalive in time')), CALL_TIMEOUT_MS);
        stream.on('data', (response) => {
          clearTimeout(timer);
          resolve(Number(response.TTL));
        });
        stream.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        stream.write({ ID: id });
      });
    } finally {
      stream.end();
    }
  }

  /** Revokes lease `id`: the keys attached to it are deleted at once. */
  async revoke(id: string): Promise<void> {
    await this.#client.leaseClient.leaseRevoke({ ID: id }, deadline());
  }

  /**
   * Creates `key` = `value` attached to lease `leaseId` if no such key exists, in one
   * transaction; resolves with the revision that created it, or undefined if it existed. With
   * `unchanged`, also only if no key under `unchanged.prefix` was written after revision
   * `unchanged.revision` (what was read there still holds when the key is created).
   */
  async createIfAbsent(
    key: string,
    value: string,
    leaseId: string,
    unchanged?: { readonly prefix: string; readonly revision: bigint },
  ): Promise<bigint | undefined> {
    const guard =
      unchanged === undefined
        ? []
        : [
            {
              key: Buffer.from(unchanged.prefix),
              range_end: prefixEnd(unchanged.prefix),
              target: 'Mod',
              result: 'Less',
              mod_revision: (unchanged.revision + 1n).toString(),
            },
          ];
    const response = await this.#client.kv.txn(
      {
        compare: [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 }, ...guard],
        success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value), lease: leaseId } }],
        failure: [],
      },
      deadline(),
    );
    return response.succeeded ? BigInt(response.header.revision) : undefined;
  }

  /**
   * Rewrites `key` (attached to lease `leaseId`) if the key is still the one created at
   * `createRevision`; resolves with whether it was.
   */
  async putIfCreatedAt(key: string, value: string, createRevision: bigint, leaseId: string): Promise<boolean> {
    const response = await this.#client.kv.txn(
      {
        compare: [
          { key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: createRevision.toString() },
        ],
        success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value), lease: leaseId } }],
        failure: [],
      },
      deadline(),
    );
    return response.succeeded;
  }

  /** Reads `key`; undefined if it does not exist. */
  async get(key: string): Promise<EtcdEntry | undefined> {
    const response = await this.#client.kv.range({ key: Buffer.from(key) }, deadline());
    const kv = response.kvs[0];
    return kv === undefined ? undefined : entry(kv);
  }

  /** Reads every key under `prefix`, and the store's revision at the read. */
  async list(prefix: string): Promise<{ entries: EtcdEntry[]; revision: bigint }> {
    const response = await this.#client.kv.range(
      { key: Buffer.from(prefix), range_end: prefixEnd(prefix) },
      deadline(),
    );
    return { entries: response.kvs.map(entry), revision: BigInt(response.header.revision) };
  }

  /** Writes `key` = `value` (not attached to any lease: it outlives the writer). */
  async put(key: string, value: string): Promise<void> {
    await this.#client.kv.put({ key: Buffer.from(key), value: Buffer.from(value) }, deadline());
  }

  close(): void {
    this.#client.close();
  }
}

function deadline(): CallOptions {
  return { deadline: Date.now() + CALL_TIMEOUT_MS };
}
