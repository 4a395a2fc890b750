import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterPrimaryFeed } from '../../../replication/index.ts';

/** What a node's `GET /health` says; its `/status` names the node in `dbId`. */
interface Said {
  role: 'primary' | 'replica' | 'candidate';
  epoch: bigint;
  primaryUrl?: string;
}

interface Node {
  readonly url: string;
  said: Said;
  close(): Promise<void>;
}

const servers: Node[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((node) => node.close()));
});

/** A node:http server answering `/health` and `/status` as a failover node would. */
async function node(name: string, said: Said): Promise<Node> {
  const state = { said };
  const server = http.createServer((req, res) => {
    const body = (status: number, json: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'wasmlite-epoch': String(state.said.epoch) });
      res.end(JSON.stringify(json));
    };
    if (req.url === '/health')
      return body(200, {
        ok: true,
        role: state.said.role,
        epoch: String(state.said.epoch),
        primaryUrl: state.said.primaryUrl ?? null,
        position: '0000000000000001/0000000000000000',
      });
    if (req.url === '/status' && state.said.role === 'primary')
      return body(200, { position: '0000000000000001/0000000000000000', dbId: name });
    body(404, { error: { code: 'NOT_FOUND', message: 'no such route here' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const made: Node = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get said() {
      return state.said;
    },
    set said(value: Said) {
      state.said = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  servers.push(made);
  return made;
}

describe('ClusterPrimaryFeed', () => {
  it('takes the node that is the primary at the highest epoch, and never goes back to an older one', async () => {
    const a = await node('a', { role: 'primary', epoch: 3n });
    const b = await node('b', { role: 'primary', epoch: 5n });
    const c = await node('c', { role: 'replica', epoch: 5n });
    const feed = new ClusterPrimaryFeed({ nodes: [a.url, b.url, c.url], discoveryTimeoutMs: 300 });
    expect((await feed.status(2000)).dbId).toBe('b');
    expect(feed.source).toBe(b.url);
    expect(feed.epoch).toBe(5n);

    // b dies; a still calls itself the primary, of epoch 3: deposed, not followed.
    await b.close();
    c.said = { role: 'candidate', epoch: 5n };
    await expect(feed.status(300)).rejects.toMatchObject({ code: 'PRIMARY_UNREACHABLE' });
    // Asked again (b forgotten), it still finds no primary rather than a.
    await expect(feed.status(300)).rejects.toThrow(/no node is the primary/);
    // c wins the election.
    c.said = { role: 'primary', epoch: 7n };
    a.said = { role: 'replica', epoch: 7n, primaryUrl: c.url };
    expect((await feed.status(2000)).dbId).toBe('c');
    expect(feed.source).toBe(c.url);
  });

  it('follows the primary that the nodes name when it is not in the list', async () => {
    const elsewhere = await node('elsewhere', { role: 'primary', epoch: 4n });
    const a = await node('a', { role: 'replica', epoch: 4n, primaryUrl: elsewhere.url });
    const feed = new ClusterPrimaryFeed({ nodes: [a.url] });
    expect((await feed.status(2000)).dbId).toBe('elsewhere');
  });

  it('rejects an empty list and a URL that is not http(s) with a TypeError', () => {
    expect(() => new ClusterPrimaryFeed({ nodes: [] })).toThrow(TypeError);
    expect(() => new ClusterPrimaryFeed({ nodes: ['ftp://127.0.0.1:1'] })).toThrow(TypeError);
  });
});
