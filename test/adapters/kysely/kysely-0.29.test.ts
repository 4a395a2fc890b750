import { kyselySuite } from './suite/index.ts';

kyselySuite('0.29');
