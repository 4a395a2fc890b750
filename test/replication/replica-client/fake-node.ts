// A node of a cluster as a client sees it, without etcd: a node:http server in front of a real
// primary that answers per the cluster contract (forward with an epoch, 307 NOT_PRIMARY, 503,
// a connection reset after the request was read), and records what it was sent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the node does with the next request. */
export type NodeBehaviour =
  | { readonly kind: 'forward'; readonly to: string; readonly epoch: bigint; readonly delayAnswerMs?: number }
  | { readonly kind: 'redirect'; readonly to: string; readonly epoch: bigint }
  | { readonly kind: 'unavailable'; readonly epoch: bigint }
  | { readonly kind: 'deposed'; readonly epoch: bigint }
  | { readonly kind: 'reset' };

export interface SeenRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeNode {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** How many TCP connections clients opened to it. */
  readonly connections: () => number;
  behave(behaviour: NodeBehaviour): void;
  close(): Promise<void>;
}

export async function startFakeNode(initial: NodeBehaviour): Promise<FakeNode> {
  let behaviour = initial;
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ path: req.url!, headers: req.headers, body });
      const now = behaviour;
      const answer = (status: number, epoch: bigint, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', 'wasmlite-epoch': String(epoch), ...headers });
        res.end(JSON.stringify(json));
      };
      if (now.kind === 'reset') {
        req.socket.destroy();
      } else if (now.kind === 'redirect') {
        answer(
          307,
          now.epoch,
          { error: { code: 'NOT_PRIMARY', message: 'not the primary', primaryUrl: now.to } },
          { location: `${now.to}${req.url}` },
        );
      } else if (now.kind === 'unavailable') {
        answer(503, now.epoch, { error: { code: 'PRIMARY_UNAVAILABLE', message: 'election' } }, { 'retry-after': '1' });
      } else if (now.kind === 'deposed') {
        answer(503, now.epoch, { error: { code: 'NOT_PRIMARY', message: 'deposed' } });
      } else {
        // The real primary behind stands for this node's engine: the epoch is this node's to check.
        const { 'wasmlite-epoch': _epoch, ...headers } = req.headers;
        const upstream = http.request(
          `${now.to}${req.url}`,
          { method: req.method, headers: { ...headers, host: new URL(now.to).host } },
          (reply) => {
            // Piped, not buffered: the log stream a follower reads never ends.
            setTimeout(() => {
              res.writeHead(reply.statusCode!, { ...reply.headers, 'wasmlite-epoch': String(now.epoch) });
              reply.pipe(res);
            }, now.delayAnswerMs ?? 0);
          },
        );
        upstream.on('error', () => req.socket.destroy());
        upstream.end(body);
      }
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    connections: () => connections,
    behave(next) {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
