/**
 * The nodes a replica client may reach, from `createClient`'s `syncUrl`: one http:// or https://
 * URL (as @libsql/client takes), or several, as an array or a comma-separated string. Each is
 * trimmed and loses its trailing slashes; duplicates go. Throws a `TypeError` for anything else
 * (an empty list, a URL of another scheme), worded as `createClient`'s other option checks.
 *
 * @example
 * parseSyncUrls('http://10.0.0.1:7878, http://10.0.0.2:7878/'); // ['http://10.0.0.1:7878', 'http://10.0.0.2:7878']
 * parseSyncUrls(['http://a:7878']);                             // ['http://a:7878']
 */
export function parseSyncUrls(syncUrl: unknown): string[] {
  const parts = typeof syncUrl === 'string' ? syncUrl.split(',') : Array.isArray(syncUrl) ? syncUrl : undefined;
  const urls = parts?.map((part: unknown) => (typeof part === 'string' ? part.trim().replace(/\/+$/, '') : part));
  if (
    urls === undefined ||
    urls.length === 0 ||
    !urls.every((url): url is string => typeof url === 'string' && /^https?:\/\/[^\s,]+$/.test(url))
  ) {
    throw new TypeError(
      'Expected the "syncUrl" option to be an http:// or https:// URL, or a list of them (an array or comma-separated)',
    );
  }
  return [...new Set(urls)];
}
