import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { usePrisma } from './support/fixture.ts';

const prisma = usePrisma();

const STRINGS = [
  '',
  'plain',
  'héllo wörld',
  '日本語のテキスト',
  'emoji 🎉👩‍👩‍👧 and 𝄞',
  'e\u0301 combining',
  'quote \' " \\ ; -- sql',
  'x'.repeat(100_000),
];
const BIGINTS = [0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 3n, 2n ** 63n - 1n, -(2n ** 63n)];
const INTS = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31)];
// Not Number.MAX_VALUE: Prisma itself sends Float arguments as 16-digit decimal text, which rounds it up to
// Infinity (as with Prisma's own SQLite adapters).
const FLOATS = [0, 2, -0.5, 3.141592653589793, 1e300, -1e-300, 0.1 + 0.2, 1e308, Number.MIN_VALUE, 2 ** 60];
// SQLite keeps a DECIMAL column's value as an INTEGER when integral (exact to 2^63), else as a REAL:
// exact to 15 significant digits.
const DECIMALS = [
  '0',
  '0.1',
  '-0.5',
  '12345.6789',
  '-99999999999.9999',
  '123456789012345',
  '0.000001234567',
  '12345678901234567',
  '9223372036854775807',
  '-9223372036854775808',
];
const DATES = [
  new Date('2024-02-29T12:34:56.789Z'),
  new Date(0),
  new Date('1969-07-20T20:17:40.000Z'),
  new Date('9999-12-31T23:59:59.999Z'),
];
const JSONS = [{ a: 1, b: [true, null, 'x'], c: { d: 'é' } }, [1, 2, 3], 'text', 42, true];

describe.each(CLIENT_KINDS)('Prisma scalars on a %s client', (kind) => {
  it('round-trips Int, BigInt (beyond 2^53) and Float exactly', async () => {
    const { db } = await prisma.open(kind);
    for (const int of INTS) expect((await db.scalars.create({ data: { int } })).int).toBe(int);
    for (const bigInt of BIGINTS) {
      const row = await db.scalars.create({ data: { bigInt } });
      expect(row.bigInt).toBe(bigInt);
      expect((await db.scalars.findUnique({ where: { id: row.id } })).bigInt).toBe(bigInt);
      expect(await db.scalars.count({ where: { bigInt } })).toBe(1);
    }
    for (const float of FLOATS) {
      const row = await db.scalars.create({ data: { float } });
      expect((await db.scalars.findUnique({ where: { id: row.id } })).float).toBe(float);
    }
    const ints = await db.scalars.findMany({
      where: { int: { not: null } },
      orderBy: { int: 'asc' },
      select: { int: true },
    });
    expect(ints.map((r: { int: number }) => r.int)).toEqual([...INTS].sort((a, b) => a - b));
    const bigs = await db.scalars.findMany({
      where: { bigInt: { gt: 2n ** 53n } },
      orderBy: { bigInt: 'asc' },
      select: { bigInt: true },
    });
    expect(bigs.map((r: { bigInt: bigint }) => r.bigInt)).toEqual([2n ** 53n + 1n, 2n ** 63n - 1n]);
    expect(await db.scalars.aggregate({ _max: { bigInt: true }, _min: { bigInt: true } })).toEqual({
      _max: { bigInt: 2n ** 63n - 1n },
      _min: { bigInt: -(2n ** 63n) },
    });
  });

  it('round-trips Decimal without losing precision', async () => {
    const { db, generated } = await prisma.open(kind);
    for (const text of DECIMALS) {
      const row = await db.scalars.create({ data: { decimal: new generated.Prisma.Decimal(text) } });
      expect(row.decimal.toString()).toBe(text);
      expect((await db.scalars.findUnique({ where: { id: row.id } })).decimal.toString()).toBe(text);
    }
    expect((await db.scalars.create({ data: { decimal: '2.5' } })).decimal.toString()).toBe('2.5');
    const over = await db.scalars.findMany({
      where: { decimal: { gt: new generated.Prisma.Decimal('12345.6789') } },
      select: { decimal: true },
      orderBy: { decimal: 'asc' },
    });
    expect(over.map((r: { decimal: object }) => r.decimal.toString())).toEqual([
      '123456789012345',
      '12345678901234567',
      '9223372036854775807',
    ]);
    // Compared with an expression (no column affinity), a Decimal argument is still a number.
    const [cmp] = await db.$queryRaw`SELECT ${new generated.Prisma.Decimal('0.5')} > 0.25 AS gt,
        ${new generated.Prisma.Decimal('12345678901234567')} - 1 AS minus`;
    expect([cmp.gt, cmp.minus]).toEqual([1n, 12345678901234566n]);
  });

  it('compares Float and Decimal arguments with computed values', async () => {
    const { db } = await prisma.open(kind);
    await db.scalars.createMany({
      data: [
        { float: 1, int: 1, decimal: '1.5', string: 'a' },
        { float: 2.5, int: 2, decimal: '2.5', string: 'a' },
        { float: 10, int: 3, decimal: '3', string: 'b' },
      ],
    });
    const groups = await db.scalars.groupBy({
      by: ['string'],
      _avg: { float: true },
      having: { float: { _avg: { gt: 1.5 } } },
      orderBy: { string: 'asc' },
    });
    expect(groups).toEqual([
      { string: 'a', _avg: { float: 1.75 } },
      { string: 'b', _avg: { float: 10 } },
    ]);
    const sums = await db.scalars.groupBy({
      by: ['string'],
      _sum: { decimal: true },
      having: { decimal: { _sum: { lt: 3.5 } } },
    });
    expect(
      sums.map((g: { string: string; _sum: { decimal: object } }) => [g.string, g._sum.decimal.toString()]),
    ).toEqual([['b', '3']]);
    expect(await db.scalars.count({ where: { float: { gt: 2 } } })).toBe(2);
  });

  it('round-trips String as full UTF-8, Boolean, enums and Json', async () => {
    const { db } = await prisma.open(kind);
    for (const string of STRINGS) {
      const row = await db.scalars.create({ data: { string } });
      expect((await db.scalars.findUnique({ where: { id: row.id } })).string).toBe(string);
    }
    expect(await db.scalars.count({ where: { string: '日本語のテキスト' } })).toBe(1);
    expect(await db.scalars.count({ where: { string: { contains: '🎉' } } })).toBe(1);
    for (const boolean of [true, false]) {
      const row = await db.scalars.create({ data: { boolean, role: boolean ? 'ADMIN' : 'USER' } });
      expect(await db.scalars.findUnique({ where: { id: row.id }, select: { boolean: true, role: true } })).toEqual({
        boolean,
        role: boolean ? 'ADMIN' : 'USER',
      });
    }
    expect(await db.scalars.count({ where: { boolean: true } })).toBe(1);
    expect(await db.scalars.count({ where: { role: { in: ['ADMIN'] } } })).toBe(1);
    for (const json of JSONS) {
      const row = await db.scalars.create({ data: { json } });
      expect((await db.scalars.findUnique({ where: { id: row.id } })).json).toEqual(json);
    }
  });

  it('round-trips Bytes', async () => {
    const { db } = await prisma.open(kind);
    const all = new Uint8Array(256).map((_, i) => i);
    for (const bytes of [all, new Uint8Array(0), new Uint8Array(100_000).fill(7)]) {
      const row = await db.scalars.create({ data: { bytes } });
      const read = (await db.scalars.findUnique({ where: { id: row.id } })).bytes;
      expect(read).toBeInstanceOf(Uint8Array);
      expect(Array.from(read)).toEqual(Array.from(bytes));
    }
    expect(await db.scalars.count({ where: { bytes: all } })).toBe(1);
  });

  it('writes DateTime as ISO 8601 text by default and reads it back to the millisecond', async () => {
    const { db, clients } = await prisma.open(kind);
    for (const dateTime of DATES) {
      const row = await db.scalars.create({ data: { dateTime } });
      expect((await db.scalars.findUnique({ where: { id: row.id } })).dateTime).toEqual(dateTime);
    }
    const stored = await clients.client.execute(
      'SELECT "dateTime", typeof("dateTime") AS t FROM "Scalars" ORDER BY id LIMIT 1',
    );
    expect([...stored.rows[0]!]).toEqual(['2024-02-29T12:34:56.789+00:00', 'text']);
    const after = await db.scalars.findMany({
      where: { dateTime: { gte: new Date('2000-01-01T00:00:00Z') } },
      orderBy: { dateTime: 'asc' },
    });
    expect(after.map((r: { dateTime: Date }) => r.dateTime)).toEqual([DATES[0], DATES[3]]);
  });

  it('writes DateTime as epoch milliseconds with timestampFormat unixepoch-ms, and reads both formats', async () => {
    const { db, clients, another } = await prisma.open(kind, { timestampFormat: 'unixepoch-ms' });
    for (const dateTime of DATES) {
      const row = await db.scalars.create({ data: { dateTime } });
      expect((await db.scalars.findUnique({ where: { id: row.id } })).dateTime).toEqual(dateTime);
    }
    const stored = await clients.client.execute(
      'SELECT "dateTime", typeof("dateTime") AS t FROM "Scalars" ORDER BY id LIMIT 1',
    );
    expect([...stored.rows[0]!]).toEqual([DATES[0]!.getTime(), 'integer']);
    expect(await db.scalars.count({ where: { dateTime: { lt: new Date(1) } } })).toBe(2);
    // Data written by Prisma 6 (milliseconds) read by an adapter writing ISO text:
    const iso = another({ timestampFormat: 'iso8601' });
    await expect
      .poll(async () =>
        (await iso.scalars.findMany({ orderBy: { id: 'asc' } })).map((r: { dateTime: Date }) => r.dateTime),
      )
      .toEqual(DATES);
  });

  it('reads null in every column', async () => {
    const { db } = await prisma.open(kind);
    const row = await db.scalars.create({ data: {} });
    const expected = {
      id: row.id,
      int: null,
      bigInt: null,
      float: null,
      decimal: null,
      string: null,
      boolean: null,
      dateTime: null,
      json: null,
      bytes: null,
      role: null,
    };
    expect(row).toEqual(expected);
    expect(await db.scalars.findUnique({ where: { id: row.id } })).toEqual(expected);
    expect(await db.scalars.count({ where: { bigInt: null, decimal: null, dateTime: null, bytes: null } })).toBe(1);
  });

  it('runs raw queries with typed results', async () => {
    const { db, generated } = await prisma.open(kind);
    const { Prisma } = generated;
    const date = DATES[0]!;
    expect(
      await db.$executeRaw`INSERT INTO "Scalars"
        ("int", "bigInt", "float", "decimal", "string", "boolean", "dateTime", "bytes")
        VALUES (${7}, ${2n ** 62n}, ${1.5}, ${new Prisma.Decimal('0.25')}, ${'ü'}, ${true}, ${date},
          ${new Uint8Array([1, 2])})`,
    ).toBe(1);
    const [row] =
      await db.$queryRaw`SELECT "int", "bigInt", "float", "decimal", "string", "boolean", "dateTime", "bytes", "json"
        FROM "Scalars"`;
    expect(row.int).toBe(7);
    expect(row.bigInt).toBe(2n ** 62n);
    expect(row.float).toBe(1.5);
    expect(row.decimal.toString()).toBe('0.25');
    expect(row.string).toBe('ü');
    expect(row.boolean).toBe(true);
    expect(row.dateTime).toEqual(date);
    expect(Array.from(row.bytes)).toEqual([1, 2]);
    expect(row.json).toBeNull();

    // Expressions have no declared type: the value's type decides.
    const [expr] = await db.$queryRawUnsafe(
      "SELECT 1 + 1 AS two, ? AS big, 0.5 AS half, 't' AS text, x'00ff' AS blob, NULL AS absent, count(*) AS n " +
        'FROM "Scalars"',
      2n ** 60n,
    );
    expect(expr.two).toBe(2n);
    expect(expr.big).toBe(2n ** 60n);
    expect(expr.half).toBe(0.5);
    expect(expr.text).toBe('t');
    expect(Array.from(expr.blob)).toEqual([0, 255]);
    expect(expr.absent).toBeNull();
    expect(expr.n).toBe(1n);
    expect(await db.$executeRawUnsafe('UPDATE "Scalars" SET "int" = "int" + ? WHERE "int" = ?', 1, 7)).toBe(1);
    expect(await db.$executeRaw`DELETE FROM "Scalars" WHERE "int" = ${0}`).toBe(0);
  });
});
