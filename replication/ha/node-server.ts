import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorResponse } from '../http/error-status.ts';
import { EPOCH_HEADER } from '../http/feed-headers.ts';
import type { TokenAuth } from '../http/token-auth.ts';
import type { NodeRole } from './cluster-board.ts';

/** Routes that run statements: the primary's alone. */
const STATEMENT_ROUTE = /^\/v1\/(execute|batch|script|transactions)(\/|$)/;

/** What a node that is not the primary says about itself and the cluster. */
export interface NodeView {
  role(): NodeRole;
  /** The epoch of the term it follows (0 when none is known). */
  epoch(): bigint;
  /** The primary's advertised URL, or undefined when none is known. */
  primaryUrl(): string | undefined;
  position(): string;
  /** The `cluster` field of `/status`: every node's role, epoch, position and lag. */
  status(): Promise<unknown>;
}

/**
 * The HTTP server of a node while it is not the primary (replication/PROTOCOL.md, "Nodes"):
 * `GET /health` and `GET /status` about it and the cluster; a statement is answered
 * `307 Temporary Redirect` to the primary (same path and query) with a `NOT_PRIMARY` body, or
 * `503 PRIMARY_UNAVAILABLE` with `Retry-After: 1` when no primary is known; anything else 404.
 * Every answer carries `Wasmlite-Epoch`.
 *
 * @example
 * const server = new NodeServer(view, auth);
 * await server.listen('127.0.0.1', 7878);
 */
export class NodeServer {
  readonly #view: NodeView;
  readonly #auth: TokenAuth;
  readonly #server: Server;

  /** `auth`: the primary's tokens; `/status` takes one, as the primary's does. */
  constructor(view: NodeView, auth: TokenAuth) {
    this.#view = view;
    this.#auth = auth;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        const { status, body } = errorResponse(error);
        json(res, status, { error: body });
      });
    });
  }

  /** Starts listening on `host`:`port`. */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops listening and ends open connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The body is never read: drain it, so the connection can carry the next request.
    req.resume();
    res.setHeader(EPOCH_HEADER, this.#view.epoch().toString());
    const url = new URL(req.url ?? '/', 'http://node');
    if (req.method === 'GET' && url.pathname === '/health') {
      const primaryUrl = this.#view.primaryUrl() ?? null;
      return json(res, 200, {
        ok: true,
        role: this.#view.role(),
        epoch: this.#view.epoch().toString(),
        primaryUrl,
        position: this.#view.position(),
      });
    }
    if (req.method === 'GET' && url.pathname === '/status') {
      this.#auth.check(req.headers.authorization);
      return json(res, 200, {
        role: this.#view.role(),
        position: this.#view.position(),
        cluster: await this.#view.status(),
      });
    }
    if (req.method === 'POST' && STATEMENT_ROUTE.test(url.pathname)) {
      const primaryUrl = this.#view.primaryUrl();
      if (primaryUrl === undefined) {
        res.setHeader('retry-after', '1');
        return json(res, 503, {
          error: { code: 'PRIMARY_UNAVAILABLE', message: 'no primary is known now: retry shortly' },
        });
      }
      res.setHeader('location', `${primaryUrl}${url.pathname}${url.search}`);
      return json(res, 307, {
        error: { code: 'NOT_PRIMARY', message: `this node is not the primary: ${primaryUrl} is`, primaryUrl },
      });
    }
    return json(res, 404, {
      error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${url.pathname} on a replica node` },
    });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
