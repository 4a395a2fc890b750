import { TxRecord } from '../../../replication/log/index.ts';

/** A JSON request to the primary; resolves with the status and the parsed body. */
export async function call(
  url: string,
  route: string,
  body?: unknown,
  token?: string,
  rawBody?: string,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}${route}`, {
    method: body === undefined && rawBody === undefined ? 'GET' : 'POST',
    headers,
    body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Reads `GET /v1/log` frames: records decoded, heartbeats counted. */
export class LogReader {
  readonly records: TxRecord[] = [];
  heartbeats = 0;
  readonly #controller = new AbortController();
  readonly #waiters: Array<() => void> = [];
  done: Promise<void> | undefined;
  status = 0;

  static async open(url: string, from: bigint, token?: string): Promise<LogReader> {
    const reader = new LogReader();
    const response = await fetch(`${url}/v1/log?from=${from}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: reader.#controller.signal,
    });
    reader.status = response.status;
    if (response.status === 200) reader.done = reader.#read(response.body!.getReader()).catch(() => {});
    return reader;
  }

  async #read(body: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    let buffer = Buffer.alloc(0);
    for (;;) {
      const { value, done } = await body.read();
      if (done) return;
      buffer = Buffer.concat([buffer, value]);
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (buffer.length < 4 + length) break;
        if (length === 0) this.heartbeats++;
        else this.records.push(TxRecord.decode(new Uint8Array(buffer.subarray(4, 4 + length))));
        buffer = buffer.subarray(4 + length);
        for (const wake of this.#waiters.splice(0)) wake();
      }
    }
  }

  /** Resolves once `test` holds (checked after each frame), or rejects after `ms`. */
  async until(test: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`timed out with ${this.records.length} records`);
      await Promise.race([new Promise<void>((r) => this.#waiters.push(r)), new Promise((r) => setTimeout(r, 100))]);
    }
  }

  close(): void {
    this.#controller.abort();
  }
}
