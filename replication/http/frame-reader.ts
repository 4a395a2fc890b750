import { LogCorruptionError } from '../log/index.ts';

/**
 * The largest frame accepted from a log stream. The primary encodes each record in one buffer,
 * so nothing legitimate comes near it; a larger length prefix is damage, refused before any of
 * its bytes are buffered.
 */
export const MAX_FRAME_BYTES = 1 << 30;

/**
 * Splits the `/v1/log` byte stream into frames (4-byte big-endian length, then the bytes) and
 * yields, after each chunk of the stream, every frame that chunk completed (never an empty
 * array): what a reader can use at once without waiting for more bytes. A zero-length frame
 * (heartbeat) comes out as an empty array. A length over {@link MAX_FRAME_BYTES} throws a
 * {@link LogCorruptionError} naming it and its stream offset, after the frames before it.
 *
 * @example
 * for await (const frames of readFrameBatches(response.body!)) applyAll(frames.filter((f) => f.length > 0).map(TxRecord.decode));
 */
export async function* readFrameBatches(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array[]> {
  let buffer = Buffer.alloc(0);
  let offset = 0;
  for await (const chunk of body) {
    buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk]);
    const frames: Uint8Array[] = [];
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        if (frames.length > 0) yield frames;
        throw new LogCorruptionError(`frame length ${length} is over the ${MAX_FRAME_BYTES}-byte limit`, {
          field: 'length',
          offset,
        });
      }
      if (buffer.length < 4 + length) break;
      frames.push(new Uint8Array(buffer.subarray(4, 4 + length)));
      buffer = buffer.subarray(4 + length);
      offset += 4 + length;
    }
    if (frames.length > 0) yield frames;
  }
}

/**
 * The frames of {@link readFrameBatches}, one at a time.
 *
 * @example
 * for await (const frame of readFrames(response.body!)) if (frame.length > 0) apply(TxRecord.decode(frame));
 */
export async function* readFrames(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const frames of readFrameBatches(body)) yield* frames;
}
