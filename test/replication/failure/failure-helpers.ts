import { TOKEN } from '../cluster/cluster-nodes.ts';

/** Rows of one statement run directly on the primary (`POST /v1/execute`). */
export async function primaryRows(url: string, sql: string, args: unknown[] = []): Promise<unknown[][]> {
  const response = await fetch(`${url}/v1/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql, args }),
  });
  const body = (await response.json()) as { rows?: unknown[][]; error?: { message: string } };
  if (response.status !== 200) throw new Error(`primary: HTTP ${response.status} ${body.error?.message}`);
  return body.rows!;
}

/** Resolves once `check()` is true; rejects after `timeoutMs` with `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
