/**
 * A record's proof of possession: its trailing CRC-32 (the `checksum` field at `length - 4`,
 * FORMAT.md "Page index, page data, trailer") as 8 lowercase hex digits. It depends on every byte
 * of the record — page data, commit time, epoch — so only a reader of the record knows it; the
 * primary never publishes it (`/health` and `/status` give positions only). A replica names it in
 * `POST /v1/ack` to show that it holds the record it confirms (PROTOCOL.md).
 *
 * Throws a TypeError if `bytes` is too short to be a record; the record is not otherwise checked.
 *
 * @example
 * recordProof(TxRecord.encode(record)); // 'bf38d07b'
 */
export function recordProof(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length < 4)
    throw new TypeError('Expected the record to be a Uint8Array of at least 4 bytes');
  return formatProof(new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(bytes.length - 4));
}

/** A CRC-32 as a proof: 8 lowercase hex digits. */
export function formatProof(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

/** What a proof looks like on the wire (readers accept either case). */
export const PROOF_PATTERN = /^[0-9a-fA-F]{8}$/;
