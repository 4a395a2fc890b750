import type { BackupTarget } from './backup-target.ts';
import { DirectoryTarget } from './directory-target.ts';
import { S3Target } from './s3-target.ts';

/**
 * The target an archive location names: `s3://<bucket>[/<prefix>]` (query parameters
 * `endpoint`, `region` and `forcePathStyle=true|false`, as in
 * `s3://backups/app?endpoint=http://127.0.0.1:9000`) or a directory path. A {@link BackupTarget}
 * is returned as it is. Throws a TypeError for an empty or malformed location.
 *
 * @example
 * const target = openTarget('s3://backups/app');
 * const local = openTarget('/mnt/backup/app');
 */
export function openTarget(location: string | BackupTarget): BackupTarget {
  if (location !== null && typeof location === 'object' && typeof location.put === 'function') return location;
  if (typeof location !== 'string' || location === '')
    throw new TypeError('Expected the archive to be a directory, an s3://bucket/prefix URL or a BackupTarget');
  if (!location.startsWith('s3://')) return new DirectoryTarget(location);
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new TypeError(`Expected an archive URL like s3://bucket/prefix, got ${location}`);
  }
  const flag = url.searchParams.get('forcePathStyle');
  if (flag !== null && flag !== 'true' && flag !== 'false')
    throw new TypeError('Expected the "forcePathStyle" parameter to be true or false');
  return new S3Target({
    bucket: url.hostname,
    prefix: decodeURIComponent(url.pathname),
    ...(url.searchParams.get('endpoint') === null ? {} : { endpoint: url.searchParams.get('endpoint')! }),
    ...(url.searchParams.get('region') === null ? {} : { region: url.searchParams.get('region')! }),
    ...(flag === null ? {} : { forcePathStyle: flag === 'true' }),
  });
}
