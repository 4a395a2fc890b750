import path from 'node:path';
import { createClient } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { libsqlConformance } from './libsql-conformance.ts';

const temp = useTempDir();
let n = 0;

libsqlConformance('local client', async () => {
  const url = `file:${path.join(temp.dir, `db${n++}.db`)}`;
  const client = createClient({ url });
  await client.execute('CREATE TABLE t (x INTEGER PRIMARY KEY)');
  return { client, reopen: async () => createClient({ url }) };
});
