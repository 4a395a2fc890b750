import { ClientError } from './client-error.ts';

/** A query parameter @libsql/client accepts, and the values it allows (any value when absent). */
interface QueryParameter {
  values?: readonly string[];
}

/** `file::memory:` takes only `cache`; every other URL only `tls` and `authToken`. */
const IN_MEMORY_PARAMETERS: Record<string, QueryParameter> = { cache: { values: ['shared', 'private'] } };
const URL_PARAMETERS: Record<string, QueryParameter> = { tls: { values: ['0', '1'] }, authToken: {} };

/**
 * Checks a client URL's query string and fragment as @libsql/client does, before its scheme is
 * looked at, so a URL libSQL refuses is refused here with the same code: an unknown parameter is
 * `URL_PARAM_NOT_SUPPORTED`, a value outside a parameter's set, a fragment, `?tls` that
 * contradicts the scheme and `libsql:` with `?tls=0` but no port are `URL_INVALID`.
 *
 * @example
 * checkUrlQuery('file:app.db?tls=0'); // fine: libSQL accepts (and a file ignores) it
 * checkUrlQuery('file:app.db?mode=ro'); // throws URL_PARAM_NOT_SUPPORTED
 */
export function checkUrlQuery(url: string): void {
  const hash = url.indexOf('#');
  if (hash !== -1)
    throw new ClientError(`URL fragments are not supported: ${JSON.stringify(url.slice(hash))}`, 'URL_INVALID');
  const question = url.indexOf('?');
  if (question === -1) return;
  const base = url.slice(0, question);
  const allowed = base === 'file::memory:' ? IN_MEMORY_PARAMETERS : URL_PARAMETERS;
  let tls: string | undefined;
  for (const [key, value] of new URLSearchParams(url.slice(question + 1))) {
    const parameter = Object.hasOwn(allowed, key) ? allowed[key]! : undefined;
    if (parameter === undefined)
      throw new ClientError(`Unsupported URL query parameter ${JSON.stringify(key)}`, 'URL_PARAM_NOT_SUPPORTED');
    if (parameter.values !== undefined && !parameter.values.includes(value)) {
      const supported = parameter.values.map((v) => JSON.stringify(v)).join(', ');
      throw new ClientError(
        `Unknown value for the "${key}" query argument: ${JSON.stringify(value)}. Supported values are: [${supported}]`,
        'URL_INVALID',
      );
    }
    if (key === 'tls') tls = value;
  }
  if (tls === undefined) return;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(base)?.[1]?.toLowerCase();
  if (scheme === 'libsql' && tls === '0' && !/^libsql:\/\/[^/?#]*:\d+/i.test(base)) {
    throw new ClientError('A "libsql:" URL with ?tls=0 must specify an explicit port', 'URL_INVALID');
  }
  if ((scheme === 'ws' || scheme === 'http') && tls === '1') {
    throw new ClientError(`A "${scheme}:" URL cannot opt into TLS by using ?tls=1`, 'URL_INVALID');
  }
  if ((scheme === 'wss' || scheme === 'https') && tls === '0') {
    throw new ClientError(`A "${scheme}:" URL cannot opt out of TLS by using ?tls=0`, 'URL_INVALID');
  }
}
