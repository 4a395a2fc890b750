import { describe, expect, it } from 'vitest';
import Database from '../../core/index.ts';
import {
  functionLength,
  isNonNegativeInteger,
  nonNegativeInteger,
  positiveInteger,
} from '../../core/util/option-checks.ts';
import { useTempDir } from '../support/temp-dir.ts';

const temp = useTempDir();
const NOT_INTEGERS = [1.5, NaN, Infinity, '1', 1n, null, undefined, 2 ** 53];

describe('positiveInteger', () => {
  it('returns a safe integer of at least 1', () => {
    expect(positiveInteger(1, 'heartbeatMs')).toBe(1);
    expect(positiveInteger(Number.MAX_SAFE_INTEGER, 'heartbeatMs')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("refuses anything else with better-sqlite3's wording", () => {
    for (const value of [0, -1, ...NOT_INTEGERS]) {
      expect(() => positiveInteger(value, 'heartbeatMs')).toThrow(
        new TypeError('Expected the "heartbeatMs" option to be a positive integer'),
      );
    }
    expect(() => positiveInteger(0, 'ops', 'argument')).toThrow(
      new TypeError('Expected the "ops" argument to be a positive integer'),
    );
  });
});

describe('nonNegativeInteger', () => {
  it('returns a safe integer of at least 0', () => {
    expect(nonNegativeInteger(0, 'timeout')).toBe(0);
    expect(isNonNegativeInteger(7)).toBe(true);
  });

  it('refuses anything else', () => {
    for (const value of [-1, ...NOT_INTEGERS]) {
      expect(isNonNegativeInteger(value)).toBe(false);
      expect(() => nonNegativeInteger(value, 'timeout')).toThrow(
        new TypeError('Expected the "timeout" option to be a non-negative integer'),
      );
    }
  });
});

describe('functionLength', () => {
  it("returns a function's declared argument count, refusing one a getter made invalid", () => {
    expect(functionLength((a: number, b: number) => a + b)).toBe(2);
    const odd = () => 0;
    Object.defineProperty(odd, 'length', { value: -1 });
    expect(() => functionLength(odd)).toThrow(new TypeError('Expected function.length to be a positive integer'));
  });
});

describe('every integer option is checked the same way', () => {
  it('refuses integers beyond 2^53 for the backup options, as for every other option', async () => {
    const db = temp.track(new Database(':memory:'));
    await expect(db.backup(temp.file('copy.db'), { pagesPerStep: 2 ** 53 })).rejects.toThrow(
      new TypeError('Expected the "pagesPerStep" option to be a positive integer'),
    );
    await expect(db.backup(temp.file('copy.db'), { busyTimeout: null as never })).rejects.toThrow(
      new TypeError('Expected the "busyTimeout" option to be a non-negative integer'),
    );
    await expect(db.backup(temp.file('copy.db'), { busyTimeout: 2 ** 60 })).rejects.toThrow(
      new TypeError('Expected the "busyTimeout" option to be a non-negative integer'),
    );
  });
});
