import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDirectory, syncDirectory } from '../log/file-io.ts';
import type { BackupTarget, ObjectBody } from './backup-target.ts';

/** What marks a file being written; `list` never returns one. */
const TEMP_MARK = '.tmp-';
/** A temporary file this old was left by a process that died mid-write: `list` removes it. */
const STALE_TEMP_MS = 10 * 60_000;

function checkName(name: string): void {
  if (
    typeof name !== 'string' ||
    name === '' ||
    name.split('/').some((part) => part === '' || part === '.' || part === '..')
  )
    throw new TypeError(`Expected an archive object name like "a/b", got ${JSON.stringify(name)}`);
}

/**
 * An archive in a directory (another disk, a mounted volume): each object is a file, its name's
 * `/`s are subdirectories. `put` writes `<file>.tmp-<random>`, fsyncs it, renames it to its name
 * and fsyncs the directory, so that a published file is complete and survives a power failure;
 * a file a crash left half-written keeps its temporary name and is removed by a later `list`.
 *
 * @example
 * const target = new DirectoryTarget('/mnt/backup/app');
 * await target.put('x/y', bytes);
 */
export class DirectoryTarget implements BackupTarget {
  readonly location: string;
  readonly #root: string;

  /** Throws a TypeError for an empty path; the directory is created on the first `put`. */
  constructor(root: string) {
    if (typeof root !== 'string' || root === '') throw new TypeError('Expected the archive directory to be a path');
    this.#root = path.resolve(root);
    this.location = this.#root;
  }

  async put(name: string, body: ObjectBody): Promise<void> {
    checkName(name);
    const file = path.join(this.#root, name);
    const dir = ensureDirectory(path.dirname(file));
    const temp = `${file}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
    if (body instanceof Uint8Array) {
      // In one go, without awaits: a primary's event loop busy with commits would hold each await
      // of an asynchronous write behind its queue of requests, and the archive's lag with it.
      const fd = fs.openSync(temp, 'w');
      try {
        for (let done = 0; done < body.length;) done += fs.writeSync(fd, body, done, body.length - done);
        fs.fdatasyncSync(fd);
        fs.closeSync(fd);
        fs.renameSync(temp, file);
        syncDirectory(dir);
      } catch (error) {
        try {
          fs.closeSync(fd);
        } catch {
          // Closed already.
        }
        fs.rmSync(temp, { force: true });
        throw error;
      }
      return;
    }
    const out = await fs.promises.open(temp, 'w');
    try {
      if (body instanceof Uint8Array) await out.writeFile(body);
      else {
        let written = 0;
        for await (const chunk of body.chunks) {
          await out.writeFile(chunk);
          written += chunk.length;
        }
        if (written !== body.length)
          throw new Error(`the body of ${name} ended after ${written} of ${body.length} bytes`);
      }
      await out.datasync();
      await out.close();
      fs.renameSync(temp, file);
      syncDirectory(dir);
    } catch (error) {
      await out.close().catch(() => {});
      fs.rmSync(temp, { force: true });
      throw error;
    }
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    checkName(name);
    try {
      return await fs.promises.readFile(path.join(this.#root, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async read(name: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    checkName(name);
    const file = path.join(this.#root, name);
    if (!fs.existsSync(file)) return undefined;
    return fs.createReadStream(file, { highWaterMark: 1 << 20 });
  }

  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    const walk = (dir: string, relative: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
        // Only directories on the way to the prefix, or under it, are read.
        if (!name.startsWith(prefix) && !prefix.startsWith(`${name}/`)) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full, name);
        else if (entry.name.includes(TEMP_MARK)) removeIfStale(full);
        else if (entry.isFile()) names.push(name);
      }
    };
    walk(this.#root, '');
    return names;
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    const file = path.join(this.#root, name);
    if (!fs.existsSync(file)) return;
    fs.rmSync(file, { force: true });
    syncDirectory(path.dirname(file));
  }
}

function removeIfStale(file: string): void {
  try {
    if (Date.now() - fs.statSync(file).mtimeMs > STALE_TEMP_MS) fs.rmSync(file, { force: true });
  } catch {
    // Renamed or removed meanwhile by the writer that owns it.
  }
}
