// Child process of file-limit.test.ts, run under `ulimit -f`: appends records to the log in
// argv[2] until the file size limit makes a write fail, retries that append once, and prints
// what happened as JSON.
import { TransactionLog } from '../../../replication/log/index.ts';
import { PageStore, pageData } from './records.ts';

// With a handler, exceeding the limit fails the write with EFBIG instead of killing the process.
process.on('SIGXFSZ', () => {});

const [dir, segmentSize] = process.argv.slice(2);
const log = TransactionLog.open(dir!, { segmentSize: Number(segmentSize) });
const store = new PageStore(8192);
const failures: Array<{ name: string; code: string | undefined; cause: string | undefined; message: string }> = [];
for (let i = 0; failures.length === 0; i++) {
  const record = store.commit([1, 2, 3, 4].map((pgno) => [pgno + (i % 7), pageData(8192, i * 10 + pgno)]));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      log.append(record);
      break;
    } catch (error) {
      const e = error as Error & { code?: string; cause?: { code?: string } };
      failures.push({ name: e.name, code: e.code, cause: e.cause?.code, message: e.message });
    }
  }
}
process.stdout.write(JSON.stringify({ failures, lastTxid: String(log.lastPosition()?.txid) }));
log.close();
