import { describe, expect, it } from 'vitest';
import { open } from '../../core/index.ts';
import { loadEngine } from '../../core/sqlite3/engine.ts';

describe('a WASM heap that grows under a call', () => {
  it('prepares a statement whose compilation grows the heap', async () => {
    const db = await open(':memory:');
    try {
      const engine = await loadEngine();
      const before = engine.u8.byteLength;
      // Enough terms that the parser's allocations cannot fit in the heap as it is.
      const list = Array.from({ length: Math.ceil(before / 16) }, (_, i) => i).join(',');
      const stmt = db.prepare(`SELECT 1 AS found WHERE 5 IN (${list})`);
      expect(engine.u8.byteLength).toBeGreaterThan(before);
      expect(stmt.get()).toEqual({ found: 1 });
    } finally {
      db.close();
    }
  });
});
