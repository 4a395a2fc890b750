import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileDurably } from '../../core/util/durable-file.ts';

const DB_ID = /^[0-9a-f]{32}$/;

/**
 * The database identity kept in `dbid` inside the log directory: read if it is there, else
 * taken from the log's records, else made at random, and written durably (temp file, fsync,
 * rename, directory fsync) so it is the same after every restart. Throws a `TypeError` if the
 * file and the log disagree or the file is damaged.
 *
 * @example
 * const dbId = loadDbId('/srv/app.db-log', log.dbId);
 */
export function loadDbId(logDir: string, fromLog: string | undefined): string {
  const file = path.join(logDir, 'dbid');
  let stored: string | undefined;
  try {
    stored = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stored !== undefined) {
    if (!DB_ID.test(stored)) throw new TypeError(`Expected ${file} to hold 32 lowercase hex digits`);
    if (fromLog !== undefined && fromLog !== stored) {
      throw new TypeError(`The log in ${logDir} belongs to database ${fromLog}, but ${file} says ${stored}`);
    }
    return stored;
  }
  const dbId = fromLog ?? randomBytes(16).toString('hex');
  writeFileDurably(file, `${dbId}\n`);
  return dbId;
}
