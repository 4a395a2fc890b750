// Child process for the full-disk tests, run by full-disk.ts in a mount namespace of its own where
// `dir` is a small tmpfs: serves `db` as a primary whose log lives on that tmpfs, then fills the
// tmpfs up to `room` bytes with a filler file. Prints `url <url>`; on the stdin line `free` it
// deletes the filler and prints `freed`.
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startPrimary } from '../../replication/index.ts';

const [dir, db, room] = process.argv.slice(2) as [string, string, string];
const primary = await startPrimary({ path: db, logDir: path.join(dir, 'log') });
const filler = path.join(dir, 'filler');
const { bavail, bsize } = fs.statfsSync(dir);
fs.writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - Number(room))));
process.stdout.write(`url ${primary.url}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'free') return;
  fs.rmSync(filler);
  process.stdout.write('freed\n');
});
process.stdin.on('end', () => void primary.close().then(() => process.exit(0)));
