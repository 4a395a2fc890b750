import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS, useClients } from './clients.ts';

describe.each(CLIENT_KINDS)('the %s client fixture', (kind) => {
  const clients = useClients();

  it('gives a client whose writes a second client on the same data reads', async () => {
    const { client, another, primaryRequests } = await clients.open(kind);
    await client.execute('CREATE TABLE t (x)');
    await client.execute({ sql: 'INSERT INTO t VALUES (?)', args: [7] });
    expect((await client.execute('SELECT x FROM t')).rows[0]!.x).toBe(7);
    const other = another();
    await other.sync();
    expect((await other.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
    const before = await primaryRequests();
    await client.execute('SELECT x FROM t');
    // Reads stay local in both kinds: only the metrics request itself reaches a primary.
    expect(await primaryRequests()).toBe(kind === 'local' ? 0 : before + 1);
  });
});
