import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../replication/cli.ts', import.meta.url));

/** A `wasmlite primary` child process, with the URL it printed. */
export interface PrimaryProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/** Starts `wasmlite primary <file> --port <port> …args` and resolves once it serves. */
export async function startPrimaryProcess(
  file: string,
  args: readonly string[],
  port = 0,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PrimaryProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'primary', file, '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then((code) => {
      throw new Error(`the primary exited with ${code}: ${stderr}`);
    }),
  ]);
  return { child, url: /(http:\/\/\S+),/.exec(line)![1]!, exited, stderr: () => stderr };
}

/** Runs `wasmlite restore …args`; resolves with its exit code and output. */
export async function runRestore(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'restore', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}
