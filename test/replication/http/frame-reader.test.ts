import { describe, expect, it } from 'vitest';
import { LogCorruptionError } from '../../../replication/log/index.ts';
import { readFrameBatches, readFrames } from '../../../replication/http/frame-reader.ts';

function frame(bytes: number[]): Buffer {
  const out = Buffer.alloc(4 + bytes.length);
  out.writeUInt32BE(bytes.length);
  out.set(bytes, 4);
  return out;
}

async function* chunks(...parts: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

const plain = (frames: Uint8Array[]): number[][] => frames.map((f) => [...f]);

describe('readFrameBatches', () => {
  it('yields together the frames each chunk completes, heartbeats included', async () => {
    const stream = Buffer.concat([frame([1, 2]), frame([]), frame([3]), frame([4, 5, 6]), frame([7])]);
    // Chunk 1 ends inside the third frame's bytes, chunk 2 inside the fourth's length, chunk 3 completes nothing.
    const cuts = [14, 17, 18];
    const parts = [
      stream.subarray(0, cuts[0]),
      stream.subarray(cuts[0], cuts[1]),
      stream.subarray(cuts[1], cuts[2]),
      stream.subarray(cuts[2]),
    ];
    const batches = await collect(readFrameBatches(chunks(...parts)));
    expect(batches.map(plain)).toEqual([[[1, 2], []], [[3]], [[4, 5, 6], [7]]]);
    expect(plain(await collect(readFrames(chunks(...parts))))).toEqual([[1, 2], [], [3], [4, 5, 6], [7]]);
  });

  it('yields the frames before an oversized length, then throws', async () => {
    const bad = Buffer.alloc(4);
    bad.writeUInt32BE(0xffff_ffff);
    const batches: number[][][] = [];
    await expect(
      (async () => {
        for await (const frames of readFrameBatches(chunks(Buffer.concat([frame([9]), bad]))))
          batches.push(plain(frames));
      })(),
    ).rejects.toThrow(LogCorruptionError);
    expect(batches).toEqual([[[9]]]);
  });
});
