/**
 * Splits the `/v1/log` byte stream into frames (4-byte big-endian length, then the bytes);
 * a zero-length frame (heartbeat) comes out as an empty array.
 *
 * @example
 * for await (const frame of readFrames(response.body!)) if (frame.length > 0) apply(TxRecord.decode(frame));
 */
export async function* readFrames(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (buffer.length < 4 + length) break;
      yield new Uint8Array(buffer.subarray(4, 4 + length));
      buffer = buffer.subarray(4 + length);
    }
  }
}
