import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { DirectoryTarget } from '../../../replication/index.ts';
import { targetSuite } from './target-suite.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

targetSuite('DirectoryTarget', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-target-'));
  dirs.push(dir);
  return new DirectoryTarget(path.join(dir, 'archive'));
});
