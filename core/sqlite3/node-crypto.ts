import { createRequire } from 'node:module';

type NodeCrypto = typeof import('node:crypto');
let loaded: NodeCrypto | undefined;

/**
 * `node:crypto`, loaded on first use. Loading it costs ~3 ms of startup, and it is only needed
 * once SQLite wants randomness (its PRNG seed) or a file gets an owner lock, so a process that
 * only queries a `:memory:` database never pays for it.
 *
 * @example
 * nodeCrypto().randomFillSync(bytes);
 */
export function nodeCrypto(): NodeCrypto {
  loaded ??= createRequire(import.meta.url)('node:crypto') as NodeCrypto;
  return loaded;
}
