/**
 * A primary as a cluster node with a small log retention, for compaction tests:
 * `compacting-primary-node.ts <db file> <logRetainTxids> <logSegmentBytes>`, token in
 * `WASMLITE_TOKEN`. Answers the calls examples/cluster/primary-node.ts answers.
 */
import { startPrimary } from 'wasmlite/replication';
import { serveCalls } from '../../../examples/cluster/serve-calls.ts';

const [path, retain, segmentBytes] = process.argv.slice(2);
const primary = await startPrimary({
  path: path!,
  authToken: process.env.WASMLITE_TOKEN,
  logRetainTxids: Number(retain),
  logSegmentBytes: Number(segmentBytes),
});
serveCalls(primary.url, {
  position: () => primary.position().toString(),
  close: () => primary.close(),
});
process.once('SIGTERM', () => void primary.close().then(() => process.exit(0)));
