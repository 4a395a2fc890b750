import crypto from 'node:crypto';

/** Length of a checksum as Prisma writes it today: 32 bytes, two hex digits each. */
const CHECKSUM_LENGTH = 64;

function sha256(script: string): Buffer {
  return crypto.createHash('sha256').update(script, 'utf8').digest();
}

/** Each byte as two hex digits. */
function padded(digest: Buffer): string {
  return digest.toString('hex');
}

/**
 * Each byte without its leading zero: how early Prisma versions wrote checksums (prisma-engines
 * issue 1887). Tables written then still hold such values, and Prisma still accepts them.
 */
function unpadded(digest: Buffer): string {
  let text = '';
  for (const byte of digest) text += byte.toString(16);
  return text;
}

/**
 * The checksum Prisma records in `_prisma_migrations.checksum` for a migration script: SHA-256 of
 * the script's UTF-8 text, as 64 lowercase hex digits.
 *
 * @example
 * migrationChecksum('hello'); // '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
 */
export function migrationChecksum(script: string): string {
  return padded(sha256(script));
}

/**
 * Whether a recorded checksum belongs to this script, by Prisma's rule: line endings do not count
 * (the script as it is, with CRLF turned to LF, or with every LF turned to CRLF, as git may check
 * it out on another system), and a checksum of another length than 64 is compared in the old
 * unpadded form.
 *
 * @example
 * checksumMatches('a\r\nb', migrationChecksum('a\nb')); // true
 */
export function checksumMatches(script: string, checksum: string): boolean {
  const format = checksum !== '' && checksum.length !== CHECKSUM_LENGTH ? unpadded : padded;
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => format(sha256(variant)) === checksum);
}
