import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_BUSY } from '../../core/sqlite3/constants.ts';
import { loadEngine, type Engine } from '../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../core/vfs/default-vfs.ts';
import { OwnerLockError } from '../../core/vfs/owner-lock-error.ts';
import { ownerLockPath } from '../../core/vfs/owner-lock.ts';
import { processStartTime } from '../../core/vfs/process-start-time.ts';
import { takeVfsError } from '../../core/vfs/vfs-error.ts';
import { openDb, resultCodeOf } from '../support/oo1.ts';

const CHILD = fileURLToPath(new URL('../support/owner-child.ts', import.meta.url));

/** A child process running owner-child.ts, with its stdout lines. */
interface Child {
  process: ChildProcess;
  /** Resolves with the next line that starts with one of `prefixes`. */
  next(...prefixes: string[]): Promise<string>;
  send(command: string): void;
  exited: Promise<number | null>;
}

function startChild(file: string, ...args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiting: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const wake of waiting.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    process: child,
    async next(...prefixes) {
      for (;;) {
        const i = lines.findIndex((l) => prefixes.some((p) => l.startsWith(p)));
        if (i >= 0) return lines.splice(i, 1)[0]!;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`child exited; output: ${lines.join(' | ')}`);
        await Promise.race([new Promise<void>((r) => waiting.push(r)), exited]);
      }
    },
    send: (command) => child.stdin!.write(`${command}\n`),
    exited,
  };
}

describe('owner lock across processes', () => {
  let dir: string;
  let file: string;
  let engine: Engine;
  const children: Child[] = [];

  beforeEach(async () => {
    engine = await loadEngine();
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-owner-')));
    file = path.join(dir, 'app.db');
    takeVfsError();
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await child.exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function child(...args: string[]): Child {
    const c = startChild(file, ...args);
    children.push(c);
    return c;
  }

  /** Expects opening `file` here to fail with SQLITE_BUSY and an OwnerLockError naming `pid`. */
  function expectBusy(pid: number): OwnerLockError {
    expect(resultCodeOf(() => openDb(engine, file, defaultVfs(engine).name))).toBe(SQLITE_BUSY);
    const cause = takeVfsError();
    expect(cause).toBeInstanceOf(OwnerLockError);
    const error = cause as OwnerLockError;
    expect(error.ownerPid).toBe(pid);
    expect(error.path).toBe(file);
    expect(error.message).toBe(`database ${file} is in use by process ${pid}`);
    return error;
  }

  it('refuses a second process with SQLITE_BUSY naming the owner, and takes over after kill -9', async () => {
    const owner = child();
    expect(await owner.next('ready', 'busy', 'error')).toBe('ready');
    expectBusy(owner.process.pid!);
    // The owner's file is untouched by the refused open; the owner keeps working.
    owner.process.kill('SIGKILL');
    await owner.exited;
    expect(fs.existsSync(ownerLockPath(file))).toBe(true);
    const db = openDb(engine, file, defaultVfs(engine).name);
    try {
      expect(db.selectValue('PRAGMA integrity_check')).toBe('ok');
      expect(db.selectValues('SELECT pid FROM t')).toEqual([owner.process.pid]);
      expect(JSON.parse(fs.readFileSync(ownerLockPath(file), 'utf8'))).toMatchObject({ pid: process.pid });
    } finally {
      db.close();
    }
    expect(fs.existsSync(ownerLockPath(file))).toBe(false);
  });

  it('removes the lock file when the owner exits cleanly, with or without closing', async () => {
    const closing = child();
    expect(await closing.next('ready', 'busy', 'error')).toBe('ready');
    expect(fs.existsSync(ownerLockPath(file))).toBe(true);
    closing.send('close');
    expect(await closing.exited).toBe(0);
    expect(fs.existsSync(ownerLockPath(file))).toBe(false);

    const exiting = child();
    expect(await exiting.next('ready', 'busy', 'error')).toBe('ready');
    exiting.send('exit');
    expect(await exiting.exited).toBe(0);
    expect(fs.existsSync(ownerLockPath(file))).toBe(false);
    const db = openDb(engine, file, defaultVfs(engine).name);
    expect(db.selectValues('SELECT pid FROM t ORDER BY rowid')).toEqual([closing.process.pid, exiting.process.pid]);
    db.close();
  });

  it('makes another process wait for this one, and counts connections before releasing', async () => {
    const a = openDb(engine, file, defaultVfs(engine).name);
    const b = openDb(engine, file, defaultVfs(engine).name);
    a.close();
    const blocked = child();
    expect(await blocked.next('ready', 'busy', 'error')).toBe(`busy ${process.pid}`);
    b.close();
    expect(fs.existsSync(ownerLockPath(file))).toBe(false);
    blocked.send('go');
    expect(await blocked.next('ready', 'busy', 'error')).toBe('ready');
  });

  it('lets exactly one of several processes take over a stale lock', async () => {
    const dead = child();
    expect(await dead.next('ready', 'busy', 'error')).toBe('ready');
    dead.process.kill('SIGKILL');
    await dead.exited;
    const racers = Array.from({ length: 4 }, () => child('--wait-go'));
    for (const racer of racers) await racer.next('loaded');
    for (const racer of racers) racer.send('go');
    const outcomes = await Promise.all(racers.map((r) => r.next('ready', 'busy', 'error')));
    const winners = racers.filter((_, i) => outcomes[i] === 'ready');
    expect(winners.length, outcomes.join(', ')).toBe(1);
    const winner = winners[0]!.process.pid;
    expect(
      outcomes.filter((o) => o !== 'ready').every((o) => o === `busy ${winner}`),
      outcomes.join(', '),
    ).toBe(true);
  });

  it('takes over a lock whose pid is alive but belongs to a newer process', () => {
    const pid = process.ppid;
    fs.writeFileSync(
      ownerLockPath(file),
      JSON.stringify({ pid, startTime: 'not-the-start-time', hostname: os.hostname(), token: 'old' }),
    );
    const db = openDb(engine, file, defaultVfs(engine).name);
    db.close();
    expect(fs.existsSync(ownerLockPath(file))).toBe(false);
  });

  it('takes over at once an empty lock file, as a power cut leaves one (its bytes never reached the disk)', () => {
    // Just written: it used to be refused as "being written" for 10 s, which held start-up back.
    fs.writeFileSync(ownerLockPath(file), '');
    const db = openDb(engine, file, defaultVfs(engine).name);
    expect(JSON.parse(fs.readFileSync(ownerLockPath(file), 'utf8')).pid).toBe(process.pid);
    db.close();
    expect(fs.existsSync(ownerLockPath(file))).toBe(false);
    expect(fs.readdirSync(path.dirname(file)).filter((name) => name.includes('probe'))).toEqual([]);
  });

  it('respects a lock of a live process with the right start time, and of another host', () => {
    const pid = process.ppid;
    fs.writeFileSync(
      ownerLockPath(file),
      JSON.stringify({ pid, startTime: processStartTime(pid), hostname: os.hostname(), token: 'live' }),
    );
    expectBusy(pid);
    fs.writeFileSync(
      ownerLockPath(file),
      JSON.stringify({ pid: 12345, startTime: null, hostname: 'elsewhere', token: 'remote' }),
    );
    expect(resultCodeOf(() => openDb(engine, file, defaultVfs(engine).name))).toBe(SQLITE_BUSY);
    expect(takeVfsError()?.message).toBe(`database ${file} is in use by process 12345 on elsewhere`);
  });
});
