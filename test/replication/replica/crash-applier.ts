// Child process of crash.test.ts: applies the records in a file to a replica, `batch` records a
// commit (Replica.applyBatch; Replica.apply when 1), reporting the last applied txid after each,
// until killed. Args: replica path, records file (4-byte length + TxRecord, repeated), batch size.
import fs from 'node:fs';
import { open } from '../../../core/index.ts';
import { TxRecord } from '../../../replication/log/index.ts';
import { Replica } from '../../../replication/replica/index.ts';

const [replicaPath, recordsPath, batchArg] = process.argv.slice(2) as [string, string, string?];
const batch = Number(batchArg ?? '1');
const bytes = fs.readFileSync(recordsPath);
const records: TxRecord[] = [];
for (let at = 0; at < bytes.length;) {
  const length = bytes.readUInt32BE(at);
  records.push(TxRecord.decode(bytes.subarray(at + 4, at + 4 + length)));
  at += 4 + length;
}
const replica = await Replica.open(replicaPath);
const reader = await open(replicaPath);
const pending = records.filter((record) => record.txid > replica.position.txid);
for (let at = 0; at < pending.length; at += batch) {
  if (batch === 1) replica.apply(pending[at]!);
  else replica.applyBatch(pending.slice(at, at + batch));
  process.stdout.write(`applied ${replica.position.txid}\n`);
  reader.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
}
process.stdout.write('done\n');
reader.close();
replica.close();
