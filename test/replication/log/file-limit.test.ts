import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransactionLog } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';

const child = path.join(import.meta.dirname, 'append-until-full.ts');

interface Outcome {
  failures: Array<{ name: string; code: string | undefined; cause: string | undefined; message: string }>;
  lastTxid: string;
}

/** Runs the appender with the file size limited to `limitKiB` (bash `ulimit -f`). */
function appendUntilFull(dir: string, limitKiB: number, segmentSize: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      'bash',
      [
        '-c',
        `ulimit -f ${limitKiB}; exec "$0" --import tsx "$1" "$2" "$3"`,
        process.execPath,
        child,
        dir,
        String(segmentSize),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    proc.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(stdout) as Outcome)
        : reject(new Error(`appender exited with ${code}: ${stderr}`)),
    );
  });
}

describe('a write the file system refuses (file size limit)', () => {
  const temp = useTempDir();

  it('fails the append with the Node error as cause and leaves the log as it was', async () => {
    const outcome = await appendUntilFull(temp.dir, 300, 1 << 30);
    expect(outcome.failures).toHaveLength(2);
    for (const failure of outcome.failures) {
      expect(failure).toMatchObject({ name: 'LogIoError', code: 'EFBIG', cause: 'EFBIG' });
      expect(failure.message).toMatch(/^cannot write .*0000000000000001\.wlog: EFBIG/);
    }
    const [segment] = fs.readdirSync(temp.dir).filter((name) => name.endsWith('.wlog'));
    // The partial frame of the failed append was cut off again: the file ends with a whole frame.
    const log = TransactionLog.open(temp.dir);
    try {
      expect(log.recovery).toBeUndefined();
      expect(String(log.lastPosition()?.txid)).toBe(outcome.lastTxid);
      expect([...log.readFrom(1n)].length).toBe(Number(outcome.lastTxid));
      expect(fs.statSync(path.join(temp.dir, segment!)).size).toBeLessThan(300 * 1024);
    } finally {
      log.close();
    }
  });

  it('fails the append that starts a segment, leaving no half-made segment', async () => {
    // Every record starts a new segment, and a segment's temporary file hits the limit.
    const outcome = await appendUntilFull(temp.dir, 20, 1);
    expect(outcome.lastTxid).toBe('undefined');
    expect(outcome.failures.map((f) => [f.code, f.cause])).toEqual([
      ['EFBIG', 'EFBIG'],
      ['EFBIG', 'EFBIG'],
    ]);
    expect(fs.readdirSync(temp.dir).filter((name) => name.includes('.wlog'))).toEqual([]);
    const log = TransactionLog.open(temp.dir);
    expect(log.lastPosition()).toBeUndefined();
    log.close();
  });
});
