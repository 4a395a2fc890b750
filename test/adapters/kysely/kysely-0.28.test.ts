import { vi } from 'vitest';
import { kyselySuite } from './suite/index.ts';

// The same suite on kysely 0.28: every import of kysely, the dialect's included, is 0.28's.
vi.mock('kysely', () => import('kysely-0.28'));
vi.mock('kysely/helpers/sqlite', () => import('kysely-0.28/helpers/sqlite'));
vi.mock('kysely/migration', () => import('kysely-0.28'));

kyselySuite('0.28');
