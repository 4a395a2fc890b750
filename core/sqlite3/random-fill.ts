import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

const URANDOM = '/dev/urandom';
let noUrandom = false;

/**
 * Fills `length` bytes of `bytes` from `offset` with cryptographically strong random bytes: from
 * `/dev/urandom` through node:fs where there is one, else from `node:crypto`. Loading node:crypto
 * costs ~3 ms, and SQLite asks for randomness as the first connection opens (to seed its PRNG),
 * so on Linux and macOS a cold start never loads it.
 *
 * @example
 * randomFill(engine.u8, ptr, 16);
 */
export function randomFill(bytes: Uint8Array, offset = 0, length = bytes.length - offset): void {
  if (!noUrandom) {
    try {
      const fd = openSync(URANDOM, 'r');
      try {
        for (let done = 0; done < length;) {
          const n = readSync(fd, bytes, offset + done, length - done, null);
          if (n <= 0) throw new Error(`${URANDOM} gave no bytes`);
          done += n;
        }
        return;
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') noUrandom = true;
    }
  }
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  crypto.randomFillSync(bytes, offset, length);
}
