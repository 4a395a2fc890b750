import { expect, it } from 'vitest';
import { PendingClient } from '../../core/client/pending-client.ts';
import type { Client, InStatement } from '../../core/client/types.ts';

/** A stand-in for the replica client that records the order calls reach it in. */
function recordingClient(order: string[]): Client {
  const record = async (stmt: InStatement) => {
    order.push(String(stmt));
    return { columns: [], columnTypes: [], rows: [], rowsAffected: 0, lastInsertRowid: undefined, toJSON: () => ({}) };
  };
  return { closed: false, protocol: 'file', execute: record } as unknown as Client;
}

it('passes calls to the replica client in the order they were made, also those made as it becomes ready', async () => {
  let ready!: (client: Client) => void;
  const order: string[] = [];
  const client = new PendingClient(new Promise<Client>((resolve) => (ready = resolve)));
  const first = client.execute('first');
  ready(recordingClient(order));
  // One turn later the real client is known, while the first call is still on its way to it.
  await null;
  const second = client.execute('second');
  await Promise.all([first, second]);
  const third = client.execute('third');
  await third;
  expect(order).toEqual(['first', 'second', 'third']);
});
