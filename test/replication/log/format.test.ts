import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Position, TransactionLog, TxRecord } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';

const temp = useTempDir();
const formatMd = fs.readFileSync(path.join(import.meta.dirname, '../../../replication/FORMAT.md'), 'utf8');

/** The bytes of the hex dump in FORMAT.md's code block tagged `tag`. */
function vector(tag: string): Buffer {
  const block = new RegExp('```' + tag + '\\n([\\s\\S]*?)```').exec(formatMd);
  if (block === null) throw new Error(`no \`\`\`${tag} block in FORMAT.md`);
  return Buffer.from(block[1]!.replace(/^[0-9a-f]{4}:/gm, '').replace(/\s+/g, ''), 'hex');
}

const RECORD: TxRecord = {
  txid: 1n,
  epoch: 2n,
  dbId: '00112233445566778899aabbccddeeff',
  pageSize: 4096,
  commitPageCount: 1,
  pages: [],
  preChecksum: 0x18d00937f079f049n,
  postChecksum: 0x18d00937f079f049n,
  timestamp: 1_700_000_000_000,
  meta: { idempotencyKey: 'req-1', result: new Uint8Array([0x7b, 0x7d]) },
};

describe('FORMAT.md', () => {
  it('has the record test vector that TxRecord.encode makes', () => {
    expect(Buffer.from(TxRecord.encode(RECORD)).toString('hex')).toBe(vector('record').toString('hex'));
    const { meta, ...rest } = TxRecord.decode(vector('record'));
    const { meta: _meta, ...fields } = RECORD;
    expect(rest).toEqual(fields);
    expect(meta?.idempotencyKey).toBe(RECORD.meta!.idempotencyKey);
    expect([...meta!.result!]).toEqual([...RECORD.meta!.result!]);
  });

  it('has the version 1 record test vector, which a reader still decodes', () => {
    const { meta: _meta, ...withoutMeta } = RECORD;
    expect(TxRecord.decode(vector('record-v1'))).toEqual(withoutMeta);
  });

  it('has the frame and segment header test vectors that the log writes', () => {
    const log = temp.track(TransactionLog.open(temp.dir));
    log.append(RECORD);
    log.close();
    const file = fs.readFileSync(path.join(temp.dir, '0000000000000001.wlog'));
    const segment = vector('segment');
    // Everything but the creation time (offset 32, 8 bytes) and the header checksum over it.
    expect(file.subarray(0, 32).toString('hex')).toBe(segment.subarray(0, 32).toString('hex'));
    expect(file.subarray(40, 44).toString('hex')).toBe(segment.subarray(40, 44).toString('hex'));
    expect(file.subarray(48, 48 + 28).toString('hex')).toBe(vector('frame').toString('hex'));
    expect(file.subarray(76).toString('hex')).toBe(vector('record').toString('hex'));
  });

  it('describes the position forms the code produces', () => {
    const pos = new Position(7n, 0xab12cd34ef560789n);
    expect(formatMd).toContain(`\`${pos}\``);
    expect(formatMd).toContain(`\`${pos.toBookmark()}\``);
  });
});
