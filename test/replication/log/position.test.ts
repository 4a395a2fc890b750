import { describe, expect, it } from 'vitest';
import { Position, PositionMismatchError } from '../../../replication/log/index.ts';

describe('Position', () => {
  it('formats as fixed-width hex txid/checksum and parses back', () => {
    const pos = new Position(7n, 0xab12cd34ef560789n);
    expect(pos.toString()).toBe('0000000000000007/ab12cd34ef560789');
    expect(Position.parse('0000000000000007/ab12cd34ef560789').equals(pos)).toBe(true);
    expect(Position.parse('0000000000000007/AB12CD34EF560789').equals(pos)).toBe(true);
    expect(String(new Position(0xffffffffffffffffn, 0n))).toBe('ffffffffffffffff/0000000000000000');
  });

  it('has a bookmark form safe in URLs and headers', () => {
    const pos = new Position(123456789n, 42n);
    const bookmark = pos.toBookmark();
    expect(bookmark).toBe('00000000075bcd15-000000000000002a');
    expect(encodeURIComponent(bookmark)).toBe(bookmark);
    expect(Position.fromBookmark(bookmark).equals(pos)).toBe(true);
  });

  it('encodes to 16 big-endian bytes and back', () => {
    const pos = new Position(0x0102030405060708n, 0x1112131415161718n);
    const bytes = pos.encode();
    expect([...bytes]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]);
    expect(Position.decode(bytes).equals(pos)).toBe(true);
    expect(() => Position.decode(new Uint8Array(15))).toThrow(TypeError);
  });

  it('survives JSON as its text form', () => {
    expect(JSON.stringify({ at: new Position(1n, 2n) })).toBe('{"at":"0000000000000001/0000000000000002"}');
  });

  it.each([
    '7/ab12cd34ef560789',
    '0000000000000007-ab12cd34ef560789',
    '0000000000000007/ab12cd34ef56078',
    '0000000000000007/ab12cd34ef5607890',
    ' 0000000000000007/ab12cd34ef560789',
    '000000000000000g/ab12cd34ef560789',
    '',
  ])('rejects the text %j', (text) => {
    expect(() => Position.parse(text)).toThrow(TypeError);
  });

  it('rejects a bookmark that is not one', () => {
    expect(() => Position.fromBookmark('0000000000000007/ab12cd34ef560789')).toThrow(TypeError);
    expect(() => Position.fromBookmark(7 as unknown as string)).toThrow(/got number/);
  });

  it('rejects a txid or checksum that is not a 64-bit unsigned bigint', () => {
    expect(() => new Position(-1n, 0n)).toThrow(TypeError);
    expect(() => new Position(1n << 64n, 0n)).toThrow(TypeError);
    expect(() => new Position(1n, 1n << 64n)).toThrow(TypeError);
    expect(() => new Position(1 as unknown as bigint, 0n)).toThrow(
      'Expected the "txid" to be a bigint between 0 and 2^64-1',
    );
  });

  it('is an immutable value; ZERO is the empty database', () => {
    const pos = new Position(1n, 2n);
    expect(Object.isFrozen(pos)).toBe(true);
    expect(Position.ZERO.equals({ txid: 0n, checksum: 0n })).toBe(true);
    expect(Position.from({ txid: 1n, checksum: 2n }).equals(pos)).toBe(true);
    expect(Position.from(pos)).toBe(pos);
  });

  it('compares by txid within one history', () => {
    const a = new Position(3n, 10n);
    expect(a.compare(new Position(4n, 99n))).toBe(-1);
    expect(a.compare(new Position(2n, 99n))).toBe(1);
    expect(a.compare(new Position(3n, 10n))).toBe(0);
    expect(a.equals(new Position(3n, 11n))).toBe(false);
  });

  it('refuses to order two histories that diverged at the same txid', () => {
    const have = new Position(7n, 0xab12cd34ef560789n);
    const got = new Position(7n, 1n);
    let thrown: unknown;
    try {
      have.compare(got);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PositionMismatchError);
    const error = thrown as PositionMismatchError;
    expect(error.have).toBe(have);
    expect(error.got.equals(got)).toBe(true);
    expect(error.name).toBe('PositionMismatchError');
    expect(error.message).toBe(
      'position mismatch: have 0000000000000007/ab12cd34ef560789, got 0000000000000007/0000000000000001',
    );
  });
});
