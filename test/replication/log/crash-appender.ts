// Child process of crash.test.ts: appends a scripted history to the log in argv[2] forever,
// printing "appended <txid>" after each append has returned, until it is killed. With argv[4]
// "groups", records go in sync groups of 1 to 4 (`appendGroup`), each reported once its group is.
import { TransactionLog } from '../../../replication/log/index.ts';
import { PageStore, scriptedCommit } from './records.ts';

const [dir, segmentSize, mode] = process.argv.slice(2);
const log = TransactionLog.open(dir!, { segmentSize: Number(segmentSize) });
const store = new PageStore(8192);
for (const record of log.readFrom(1n)) store.apply(record);
if (log.recovery !== undefined) process.stdout.write(`recovered ${log.recovery.discardedBytes}\n`);
for (let n = 0; ; n++) {
  const size = mode === 'groups' ? 1 + (n % 4) : 1;
  const group = Array.from({ length: size }, () => scriptedCommit(store));
  if (mode === 'groups') log.appendGroup(group);
  else log.append(group[0]!);
  // stdout is a pipe, written synchronously on Linux: the line leaves only after the append returned.
  for (const record of group) process.stdout.write(`appended ${record.txid}\n`);
}
