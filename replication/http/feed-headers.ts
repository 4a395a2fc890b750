/**
 * The response headers of the feed endpoints (`GET /v1/log`, `GET /v1/snapshot`): written by
 * `streamLog` and `streamSnapshot`, read by `HttpPrimaryFeed`. See replication/PROTOCOL.md.
 *
 * @example
 * res.setHeader(FEED_HEADERS.position, primary.position().toString());
 */
export const FEED_HEADERS = Object.freeze({
  /** The primary's position (`GET /v1/log`), or the snapshot's (`GET /v1/snapshot`). */
  position: 'x-wasmlite-position',
  /** The primary's database identity. */
  dbId: 'x-wasmlite-db-id',
  /** `async` or `quorum`: whether the primary's writes wait for replicas' reports. */
  durability: 'x-wasmlite-durability',
  /** The snapshot's page size. */
  pageSize: 'x-wasmlite-page-size',
  /** The proof of possession of the record at the snapshot's position. */
  proof: 'x-wasmlite-proof',
});

/**
 * The header that carries a term's epoch: on every answer of a primary or failover node, and on
 * clients' statement requests (the highest epoch they have seen). See replication/PROTOCOL.md.
 */
export const EPOCH_HEADER = 'wasmlite-epoch';
