import { describe, expect, it } from 'vitest';
import { createClient } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';

const tmp = useTempDir();

describe('EXPLAIN through a Client', () => {
  it('describes the schema as it is now, after another connection changed it', async () => {
    const url = `file:${tmp.file('explain.db')}`;
    const writer = tmp.track(createClient({ url }));
    const reader = tmp.track(createClient({ url }));
    await writer.execute('CREATE TABLE pet (id INTEGER PRIMARY KEY, owner_id INTEGER)');
    const plan = 'EXPLAIN QUERY PLAN SELECT * FROM pet WHERE owner_id = 1';
    // The reader loads the schema (and its plan) before the index exists.
    expect((await reader.execute(plan)).rows[0]!.detail).toMatch(/SCAN pet/);
    await writer.execute('CREATE INDEX pet_owner ON pet (owner_id)');
    expect((await reader.execute(plan)).rows[0]!.detail).toMatch(/INDEX pet_owner/);
  });
});
