/** What the replication benchmark writes and reads, shared by the suite and its tasks. */

/** The row every write inserts: 100 characters. */
export const VALUE = 'x'.repeat(100);

/** Fills `reads` with rows 1..? (the argument), identically on the primary and in the plain local database. */
export const FILL_READS =
  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) INSERT INTO reads (id, v) SELECT i, printf('value %08d', i) FROM c";
