import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What {@link LogProxy.corruptNext} does to the next record frame of a log stream. */
export type Corruption = 'bit' | 'length';

/**
 * An HTTP proxy on 127.0.0.1 in front of a primary. It passes everything through unchanged, except
 * that `/v1/log` bodies are re-framed so that one record can be corrupted once, and new log
 * streams can be held back (to look at a replica while nothing reaches it).
 */
export class LogProxy {
  readonly url: string;
  /** The txids of the records corrupted so far. */
  readonly corrupted: bigint[] = [];
  /** How many `/v1/log` requests came through. */
  logRequests = 0;
  readonly #server: http.Server;
  readonly #upstream: URL;
  #pending: { kind: Corruption; done: (txid: bigint) => void } | undefined;
  #snapshotMarker: { marker: Buffer; left: number; done: () => void } | undefined;
  /** How many `/v1/snapshot` bodies were corrupted. */
  corruptedSnapshots = 0;
  #held: Array<() => void> | undefined;

  private constructor(server: http.Server, upstream: string) {
    this.#server = server;
    this.#upstream = new URL(upstream);
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(upstream: string): Promise<LogProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new LogProxy(server, upstream);
    server.on('request', (req, res) => proxy.#handle(req, res));
    return proxy;
  }

  /**
   * Corrupts the next record frame (`bit`: one bit in the middle of the record; `length`: its
   * length prefix becomes 0xfffffff0) and from then on holds new log streams until
   * {@link LogProxy.release}. Resolves with the corrupted record's txid once it is sent.
   */
  corruptNext(kind: Corruption): Promise<bigint> {
    return new Promise((done) => {
      this.#pending = { kind, done };
    });
  }

  /**
   * Flips one bit of each of the next `times` `/v1/snapshot` bodies that hold `marker` (in the
   * first byte of its last occurrence: earlier ones may be stale bytes in a page's free space),
   * leaving their length as it was. Resolves once the last of them is sent.
   */
  corruptNextSnapshots(marker: string, times = 1): Promise<void> {
    return new Promise((done) => {
      this.#snapshotMarker = { marker: Buffer.from(marker), left: times, done };
    });
  }

  /** Lets held and later log streams through. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const go of held) go();
  }

  close(): Promise<void> {
    this.release();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const isLog = (req.url ?? '').startsWith('/v1/log');
    if (isLog) {
      this.logRequests++;
      if (this.#held !== undefined) await new Promise<void>((go) => this.#held!.push(go));
    }
    const headers = { ...req.headers, host: this.#upstream.host };
    const up = http.request(new URL(req.url ?? '/', this.#upstream), { method: req.method, headers }, (upRes) => {
      const out = { ...upRes.headers };
      for (const name of ['connection', 'keep-alive', 'transfer-encoding', ...(isLog ? ['content-length'] : [])])
        delete out[name];
      res.writeHead(upRes.statusCode ?? 502, out);
      const flip = this.#snapshotMarker;
      if ((req.url ?? '').startsWith('/v1/snapshot') && upRes.statusCode === 200 && flip !== undefined) {
        const chunks: Buffer[] = [];
        upRes.on('data', (chunk: Buffer) => chunks.push(chunk));
        upRes.on('end', () => {
          const body = Buffer.concat(chunks);
          const at = body.lastIndexOf(flip.marker);
          if (at !== -1 && this.#snapshotMarker === flip && flip.left > 0) {
            const last = --flip.left === 0;
            if (last) this.#snapshotMarker = undefined;
            body[at]! ^= 0x01;
            this.corruptedSnapshots++;
            res.end(body, () => last && flip.done());
            return;
          }
          res.end(body);
        });
        upRes.on('error', () => res.destroy());
        return;
      }
      if (!isLog || upRes.statusCode !== 200) {
        upRes.pipe(res);
        return;
      }
      let buffer = Buffer.alloc(0);
      upRes.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        while (buffer.length >= 4) {
          const length = buffer.readUInt32BE(0);
          if (buffer.length < 4 + length) break;
          const frame = Buffer.from(buffer.subarray(0, 4 + length));
          buffer = buffer.subarray(4 + length);
          const pending = this.#pending;
          if (pending !== undefined && length > 0) {
            this.#pending = undefined;
            const txid = frame.readBigUInt64BE(4 + 32);
            if (pending.kind === 'bit') frame[4 + (length >> 1)]! ^= 0x10;
            else frame.writeUInt32BE(0xfffffff0, 0);
            this.#held = [];
            this.corrupted.push(txid);
            res.write(frame, () => pending.done(txid));
            continue;
          }
          res.write(frame);
        }
      });
      upRes.on('end', () => res.end());
      upRes.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  }
}
