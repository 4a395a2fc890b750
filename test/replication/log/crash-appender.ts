// Child process of crash.test.ts: appends a scripted history to the log in argv[2] forever,
// printing "appended <txid>" after each append has returned, until it is killed.
import { TransactionLog } from '../../../replication/log/index.ts';
import { PageStore, scriptedCommit } from './records.ts';

const [dir, segmentSize] = process.argv.slice(2);
const log = TransactionLog.open(dir!, { segmentSize: Number(segmentSize) });
const store = new PageStore(8192);
for (const record of log.readFrom(1n)) store.apply(record);
if (log.recovery !== undefined) process.stdout.write(`recovered ${log.recovery.discardedBytes}\n`);
for (;;) {
  const record = scriptedCommit(store);
  log.append(record);
  // stdout is a pipe, written synchronously on Linux: the line leaves only after the append returned.
  process.stdout.write(`appended ${record.txid}\n`);
}
