import http from 'node:http';
import https from 'node:https';

/** What a node answered: status, headers and the body as text. */
export interface PostAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/**
 * A POST that got no answer. `sent` says whether the whole request had been handed to the
 * connection (then the node may have run it) or not (it cannot have: the connection was refused,
 * or failed before the body was out).
 *
 * @example
 * catch (error) { if (error instanceof PostFailure && !error.sent) tryAnotherNode(); }
 */
export class PostFailure extends Error {
  readonly sent: boolean;

  constructor(message: string, sent: boolean, cause: unknown) {
    super(message, { cause });
    this.sent = sent;
  }

  override get name(): string {
    return 'PostFailure';
  }
}

/**
 * Keep-alive agents for one client: connections to a node are reused across requests, and
 * independent requests each get a connection of their own (no head-of-line waiting). `destroy`
 * closes them all.
 *
 * @example
 * const agents = new KeepAliveAgents();
 * await postJson(new URL('http://127.0.0.1:7878/v1/execute'), headers, body, agents, 30_000);
 * agents.destroy();
 */
export class KeepAliveAgents {
  readonly http = new http.Agent({ keepAlive: true });
  readonly https = new https.Agent({ keepAlive: true });
  readonly #requests = new Set<http.ClientRequest>();

  /** Aborts the requests in flight (they fail with `PostFailure`) and closes idle connections. */
  destroy(): void {
    for (const request of this.#requests) request.destroy(new Error('client closed'));
    this.http.destroy();
    this.https.destroy();
  }

  /** @internal */
  track(request: http.ClientRequest): () => void {
    this.#requests.add(request);
    return () => this.#requests.delete(request);
  }
}

/**
 * POSTs `body` to `url` over a kept-alive connection and resolves with the answer, whatever its
 * status; rejects with {@link PostFailure} (saying whether the request was sent) when no answer
 * came: a refused or dropped connection, or no answer within `timeoutMs`.
 *
 * @example
 * const { status, text } = await postJson(new URL(`${node}/v1/execute`), headers, '{"sql":"SELECT 1"}', agents, 30_000);
 */
export async function postJson(
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string,
  agents: KeepAliveAgents,
  timeoutMs: number,
): Promise<PostAnswer> {
  // A kept-alive connection the node has just closed (it shut down, or dropped an idle one) is
  // only known to be closed once the event loop has read its end. Sent on it, a request fails in a
  // way that looks like "sent, answer lost". Letting the loop poll once first costs microseconds.
  await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  const secure = url.protocol === 'https:';
  const payload = Buffer.from(body);
  return new Promise((resolve, reject) => {
    let sent = false;
    let settled = false;
    const request = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { ...headers, 'content-length': String(payload.length) },
    });
    const untrack = agents.track(request);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      untrack();
      const reason = (error as NodeJS.ErrnoException).code ?? error.message;
      reject(new PostFailure(`${url.origin}: ${reason}`, sent, error));
    };
    const timer = setTimeout(() => request.destroy(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('aborted', () => fail(new Error('answer cut short')));
      response.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        untrack();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    // Once the whole request is with the OS, the node may run it whatever happens next.
    request.end(payload, () => {
      sent = true;
    });
  });
}
