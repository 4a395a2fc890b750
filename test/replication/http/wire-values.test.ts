import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError } from '../../../core/index.ts';
import type { SqlValue } from '../../../core/index.ts';
import type { IntMode, Value } from '../../../core/client/types.ts';
import { errorResponse } from '../../../replication/http/error-status.ts';
import { decodeStatement } from '../../../replication/http/json-values.ts';
import { decodeResultValue, encodeArgument, encodeResultValue } from '../../../replication/http/wire-values.ts';
import { HttpTransport, startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';

const temp = useTempDir();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const BEYOND_2_53 = 2n ** 60n + 1n;
const TEXT = 'a\u0000b😀';

/** A value as it crosses the network: JSON text, parsed again. */
function overJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** A client's argument through the client's encoder and the server's request decoder. */
function argumentRoundTrip(value: unknown): SqlValue | undefined {
  return decodeStatement(overJson({ sql: 'SELECT ?', args: [encodeArgument(value)] }), 'body').args![
    0 as never
  ] as SqlValue;
}

/** A result value through the server's encoder and the client's decoder. */
function resultRoundTrip(value: SqlValue, intMode: IntMode = 'bigint'): Value {
  return decodeResultValue(overJson(encodeResultValue(value)), intMode, 0);
}

describe('wire values, codec round trip', () => {
  it('carries every kind of argument from the client to the server', () => {
    expect(argumentRoundTrip(null)).toBe(null);
    expect(argumentRoundTrip(42)).toBe(42);
    expect(argumentRoundTrip(-(2 ** 31))).toBe(-(2 ** 31));
    expect(argumentRoundTrip(BEYOND_2_53)).toBe(BEYOND_2_53);
    expect(argumentRoundTrip(-(2n ** 63n))).toBe(-(2n ** 63n));
    expect(argumentRoundTrip(12n)).toBe(12n);
    expect(argumentRoundTrip(1.5)).toBe(1.5);
    expect(argumentRoundTrip(Infinity)).toBe(Infinity);
    expect(argumentRoundTrip(-Infinity)).toBe(-Infinity);
    expect(Object.is(argumentRoundTrip(-0), -0)).toBe(true);
    expect(argumentRoundTrip(true)).toBe(1n);
    expect(argumentRoundTrip(false)).toBe(0n);
    expect(argumentRoundTrip(TEXT)).toBe(TEXT);
    expect(argumentRoundTrip(new Uint8Array([0, 1, 255]))).toEqual(new Uint8Array([0, 1, 255]));
    expect(argumentRoundTrip(new Uint8Array([9, 0, 1, 255]).subarray(1))).toEqual(new Uint8Array([0, 1, 255]));
    expect(argumentRoundTrip(new Uint8Array([7, 8]).buffer)).toEqual(new Uint8Array([7, 8]));
    expect(argumentRoundTrip(new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  it('refuses NaN as an argument on the server, as a 400 naming the argument', () => {
    expect(encodeArgument(NaN)).toEqual({ $real: 'NaN' });
    let thrown: unknown;
    try {
      argumentRoundTrip(NaN);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/body\.args\[0\]/) });
    // The code, not the error, decides the status: only the server maps codes to statuses.
    expect(errorResponse(thrown).status).toBe(400);
  });

  it('carries every kind of result value from the server to the client, INTEGER and REAL apart', () => {
    expect(resultRoundTrip(null)).toBe(null);
    expect(resultRoundTrip(42n)).toBe(42n);
    expect(resultRoundTrip(42n, 'number')).toBe(42);
    expect(resultRoundTrip(42n, 'string')).toBe('42');
    expect(resultRoundTrip(BEYOND_2_53)).toBe(BEYOND_2_53);
    expect(resultRoundTrip(BEYOND_2_53, 'string')).toBe(BEYOND_2_53.toString());
    expect(() => resultRoundTrip(BEYOND_2_53, 'number')).toThrow(RangeError);
    expect(resultRoundTrip(2)).toBe(2); // an integral REAL stays a number even in bigint mode
    expect(resultRoundTrip(1.5)).toBe(1.5);
    expect(resultRoundTrip(Infinity)).toBe(Infinity);
    expect(resultRoundTrip(-Infinity)).toBe(-Infinity);
    expect(Object.is(resultRoundTrip(-0), -0)).toBe(true);
    expect(resultRoundTrip(NaN)).toBeNaN();
    expect(resultRoundTrip(TEXT)).toBe(TEXT);
    const blob = resultRoundTrip(new Uint8Array([0, 1, 255]));
    expect(blob).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(blob as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 255]));
    expect((resultRoundTrip(new Uint8Array(0)) as ArrayBuffer).byteLength).toBe(0);
  });
});

describe('wire values, through a primary and HttpTransport', () => {
  async function transport(intMode: IntMode): Promise<HttpTransport> {
    const primary: Primary = await startPrimary({ path: path.join(temp.dir, 'primary.db') });
    cleanups.push(() => primary.close());
    const http = new HttpTransport({ syncUrl: primary.url, intMode });
    cleanups.push(() => http.close());
    return http;
  }

  /** `SELECT ?` on the primary: the value back and SQLite's type of it there. */
  async function echo(http: HttpTransport, value: unknown): Promise<{ v: Value; type: Value }> {
    const { result } = await http.execute({ sql: 'SELECT ?1 AS v, typeof(?1) AS type', args: [value] });
    return { v: result.rows[0]!.v as Value, type: result.rows[0]!.type as Value };
  }

  it('binds each argument as SQLite would locally and returns it as it was', async () => {
    const http = await transport('bigint');
    expect(await echo(http, null)).toEqual({ v: null, type: 'null' });
    // A JS number binds as a REAL, as it does locally (and in better-sqlite3 and @libsql/client).
    expect(await echo(http, 42)).toEqual({ v: 42, type: 'real' });
    expect(await echo(http, BEYOND_2_53)).toEqual({ v: BEYOND_2_53, type: 'integer' });
    expect(await echo(http, 5n)).toEqual({ v: 5n, type: 'integer' });
    expect(await echo(http, 1.5)).toEqual({ v: 1.5, type: 'real' });
    expect(await echo(http, Infinity)).toEqual({ v: Infinity, type: 'real' });
    expect(await echo(http, -Infinity)).toEqual({ v: -Infinity, type: 'real' });
    // -0 reaches the primary as -0 and binds there as a local statement binds it: a REAL -0.
    const negativeZero = await echo(http, -0);
    expect(negativeZero.type).toBe('real');
    expect(Object.is(negativeZero.v, -0)).toBe(true);
    expect(await echo(http, true)).toEqual({ v: 1n, type: 'integer' });
    expect(await echo(http, TEXT)).toEqual({ v: TEXT, type: 'text' });
    const blob = await echo(http, new Uint8Array([0, 1, 255]));
    expect(blob.type).toBe('blob');
    expect(new Uint8Array(blob.v as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 255]));

    const { result } = await http.execute({
      sql: 'SELECT 2.0 AS real, 2 AS integer, typeof(2.0) AS type, -0.0 AS negativeZero',
      args: [],
    });
    expect(result.rows[0]).toMatchObject({ real: 2, integer: 2n, type: 'real' });
    expect(Object.is(result.rows[0]!.negativeZero, -0)).toBe(true);
  });

  it('returns a result INTEGER as intMode asks', async () => {
    const http = await transport('number');
    expect((await echo(http, 42)).v).toBe(42);
    await expect(echo(http, BEYOND_2_53)).rejects.toThrow(RangeError);
  });

  it("refuses a NaN argument as the primary's bad request", async () => {
    const http = await transport('number');
    const error = await echo(http, NaN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'PRIMARY_ERROR', message: expect.stringMatching(/BAD_REQUEST/) });
  });
});
