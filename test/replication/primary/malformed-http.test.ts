import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { call } from './http.ts';
import { usePrimary } from './use-primary.ts';

interface RawAnswer {
  status: number;
  headers: string;
  body: any;
  /** Milliseconds from the first byte sent to the end of the answer. */
  ms: number;
}

/**
 * Sends `bytes` on a plain TCP connection, leaves the connection open (as a client that never
 * finishes its body would), and resolves with the first HTTP answer the server writes.
 */
function raw(url: string, bytes: string | Buffer, ms = 5000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no complete answer within ${ms} ms: ${JSON.stringify(received.toString('latin1').slice(0, 200))}`),
      );
    }, ms);
    const answer = (): RawAnswer | undefined => {
      const text = received.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const headers = text.slice(0, end);
      const length = Number(/content-length: *(\d+)/i.exec(headers)?.[1] ?? NaN);
      const body = Buffer.from(text.slice(end + 4), 'utf8');
      if (!(body.length >= length)) return undefined;
      return {
        status: Number(headers.split(' ')[1]),
        headers,
        body: JSON.parse(body.subarray(0, length).toString('utf8')),
        ms: performance.now() - started,
      };
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const done = answer();
      if (done === undefined) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(done);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const done = answer();
      if (done === undefined)
        reject(
          new Error(`closed without a complete answer: ${JSON.stringify(received.toString('latin1').slice(0, 200))}`),
        );
      else resolve(done);
    });
  });
}

describe('the primary answers unparsable and hostile HTTP with JSON errors', () => {
  const { start: startPrimary } = usePrimary();

  async function start(): Promise<string> {
    const primary = await startPrimary({ tokens: { write: ['w-token'] } });
    expect((await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (v TEXT)' }, 'w-token')).status).toBe(200);
    return primary.url;
  }

  const rows = async (url: string): Promise<unknown[]> =>
    (await call(url, '/v1/execute', { sql: 'SELECT v FROM t' }, 'w-token')).body.rows;

  it('answers a request line that is not HTTP with 400 BAD_HTTP in JSON', async () => {
    const url = await start();
    const answer = await raw(url, 'GARBAGE \x01\x02 NOT HTTP\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.headers).toMatch(/content-type: application\/json/i);
    expect(answer.body.error.code).toBe('BAD_HTTP');
    expect((await call(url, '/health')).status).toBe(200);
  });

  it('answers a 100 KB URL with 431 HEADERS_TOO_LARGE in JSON', async () => {
    const url = await start();
    const answer = await raw(url, `GET /v1/${'a'.repeat(100_000)} HTTP/1.1\r\nhost: x\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.body.error.code).toBe('HEADERS_TOO_LARGE');
    expect((await call(url, '/health')).status).toBe(200);
  });

  it('answers a declared length past the limit with 413 at once, without waiting for the body', async () => {
    const url = await start();
    const body = JSON.stringify({ sql: 'x' }).slice(0, 2);
    const answer = await raw(
      url,
      `POST /v1/execute HTTP/1.1\r\nhost: x\r\nauthorization: Bearer w-token\r\ncontent-type: application/json\r\ncontent-length: 99999999999\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('BODY_TOO_LARGE');
    expect(answer.headers).toMatch(/connection: close/i);
    expect(answer.ms).toBeLessThan(2000);
    expect((await call(url, '/health')).status).toBe(200);
  });

  it('refuses a JSON body that is not valid UTF-8 with 400 BAD_UTF8 and stores nothing', async () => {
    const url = await start();
    // "\xC3\x28" is an invalid two-byte sequence; a lenient decoder would store U+FFFD instead.
    const body = Buffer.concat([
      Buffer.from('{"sql":"INSERT INTO t VALUES (?)","args":["a'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"]}'),
    ]);
    const head = `POST /v1/execute HTTP/1.1\r\nhost: x\r\nauthorization: Bearer w-token\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    const answer = await raw(url, Buffer.concat([Buffer.from(head), body]));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BAD_UTF8');
    expect(await rows(url)).toEqual([]);
  });

  it('answers %-encoding that does not decode in a transaction id with 400 BAD_REQUEST', async () => {
    const url = await start();
    const answer = await call(url, '/v1/transactions/%E0%A4%A/execute', { sql: 'SELECT 1' }, 'w-token');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BAD_REQUEST');
    expect(answer.body.error.message).toMatch(/%-encoding/);
    expect((await call(url, '/health')).status).toBe(200);
  });

  it('accepts the bearer scheme in any case, as RFC 9110 has it', async () => {
    const url = await start();
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const answer = await fetch(`${url}/v1/execute`, {
        method: 'POST',
        headers: { authorization: `${scheme} w-token` },
        body: JSON.stringify({ sql: 'INSERT INTO t VALUES (?)', args: [scheme] }),
      });
      expect(answer.status, scheme).toBe(200);
    }
    const wrong = await fetch(`${url}/v1/execute`, {
      method: 'POST',
      headers: { authorization: 'bearer nope' },
      body: JSON.stringify({ sql: 'SELECT 1' }),
    });
    expect(wrong.status).toBe(401);
    expect(await rows(url)).toHaveLength(3);
  });
});
