// Child process of crash.test.ts: applies the records in a file to a replica, reporting each
// applied txid, until killed. Args: replica path, records file (4-byte length + TxRecord, repeated).
import fs from 'node:fs';
import { open } from '../../../core/index.ts';
import { TxRecord } from '../../../replication/log/index.ts';
import { Replica } from '../../../replication/replica/index.ts';

const [replicaPath, recordsPath] = process.argv.slice(2) as [string, string];
const bytes = fs.readFileSync(recordsPath);
const records: TxRecord[] = [];
for (let at = 0; at < bytes.length; ) {
  const length = bytes.readUInt32BE(at);
  records.push(TxRecord.decode(bytes.subarray(at + 4, at + 4 + length)));
  at += 4 + length;
}
const replica = await Replica.open(replicaPath);
const reader = await open(replicaPath);
for (const record of records) {
  if (record.txid <= replica.position.txid) continue;
  replica.apply(record);
  process.stdout.write(`applied ${record.txid}\n`);
  reader.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
}
process.stdout.write('done\n');
reader.close();
replica.close();
