/**
 * Prints 16 random bytes from SQLite's PRNG (`randomblob`) in a fresh process, as hex.
 *
 * `node --import tsx test/support/random-child.ts`
 */
import Database from '../../core/index.ts';

process.stdout.write(String(new Database(':memory:').prepare('SELECT hex(randomblob(16))').pluck().get()));
