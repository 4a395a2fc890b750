/**
 * The shared Kysely suite: every case, against a local and a replica client. A test file runs it
 * for one kysely version; the 0.28 file maps `kysely` to `kysely-0.28` for the whole module
 * graph (the dialect's imports included), so the same definition runs on both.
 */
import * as kysely from 'kysely';
import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../../support/clients.ts';
import { dialectCases } from './dialect.ts';
import { errorCases } from './errors.ts';
import { executionCases } from './execution.ts';
import { expressionCases } from './expressions.ts';
import { migrationCases } from './migrations.ts';
import { mutationCases } from './mutations.ts';
import { schemaCases } from './schema.ts';
import { selectCases } from './select.ts';
import { streamingCases } from './streaming.ts';
import { transactionCases } from './transactions.ts';

export function kyselySuite(version: '0.28' | '0.29'): void {
  describe(`kysely ${version}`, () => {
    it('is the kysely version under test', () => {
      // PGliteDialect is new in 0.29.
      expect('PGliteDialect' in kysely).toBe(version === '0.29');
    });

    describe.each(CLIENT_KINDS)('%s client', (kind) => {
      selectCases(kind);
      expressionCases(kind);
      mutationCases(kind);
      streamingCases(kind);
      transactionCases(kind);
      schemaCases(kind);
      migrationCases(kind, version);
      errorCases(kind);
      executionCases(kind);
      dialectCases(kind);
    });
  });
}
