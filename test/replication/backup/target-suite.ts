import { describe, expect, it } from 'vitest';
import type { BackupTarget } from '../../../replication/index.ts';

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** The {@link BackupTarget} contract, run against each implementation; `make` gives an empty target. */
export function targetSuite(name: string, make: () => BackupTarget | Promise<BackupTarget>): void {
  describe(`${name} as a backup target`, () => {
    it('stores, lists, reads and deletes objects by name', async () => {
      const target = await make();
      expect(await target.list('')).toEqual([]);
      await target.put('g/records/a', new Uint8Array([1, 2, 3]));
      await target.put('g/snapshots/b', {
        length: 4,
        chunks: (async function* () {
          yield new Uint8Array([4, 5]);
          yield new Uint8Array([6, 7]);
        })(),
      });
      await target.put('h/c', new Uint8Array([8]));
      expect((await target.list('')).sort()).toEqual(['g/records/a', 'g/snapshots/b', 'h/c']);
      expect((await target.list('g/')).sort()).toEqual(['g/records/a', 'g/snapshots/b']);
      expect([...(await target.get('g/records/a'))!]).toEqual([1, 2, 3]);
      expect([...(await collect((await target.read('g/snapshots/b'))!))]).toEqual([4, 5, 6, 7]);
      expect(await target.get('g/none')).toBeUndefined();
      expect(await target.read('g/none')).toBeUndefined();
      await target.delete('g/records/a');
      await target.delete('g/records/a');
      expect((await target.list('')).sort()).toEqual(['g/snapshots/b', 'h/c']);
    });

    it('publishes nothing of an upload whose body fails or comes up short', async () => {
      const target = await make();
      const failing = (async function* () {
        yield new Uint8Array(1000);
        throw new Error('the snapshot stream broke');
      })();
      await expect(target.put('g/x', { length: 5000, chunks: failing })).rejects.toThrow();
      const short = (async function* () {
        yield new Uint8Array(1000);
      })();
      await expect(target.put('g/y', { length: 5000, chunks: short })).rejects.toThrow();
      expect(await target.list('')).toEqual([]);
      expect(await target.get('g/x')).toBeUndefined();
    });
  });
}
