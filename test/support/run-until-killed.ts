import { spawn } from 'node:child_process';

/** What {@link runUntilKilled} saw of a child process. */
export interface KilledRun {
  /** The rest of each stdout line that started with the prefix, in order. */
  reported: string[];
  /** True if the child was killed with SIGKILL; false if it exited with 0 by itself first. */
  killed: boolean;
}

/**
 * Runs the TypeScript `script` in a child process (through tsx), collects its stdout lines that
 * start with `prefix`, and kills it with SIGKILL `killAfterMs` after the first such line
 * (calling `onFirst` at that moment). Resolves when the child is gone; rejects with its stderr if
 * it exits with an error instead. The crash tests' one way of killing a writer mid-work.
 *
 * @example
 * const { reported } = await runUntilKilled(writer, [dbPath], { prefix: 'commit ', killAfterMs: 50 });
 */
export function runUntilKilled(
  script: string,
  args: string[],
  options: { prefix: string; killAfterMs: number; onFirst?: () => void },
): Promise<KilledRun> {
  const { prefix, killAfterMs, onFirst } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reported: string[] = [];
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith(prefix)) continue;
        reported.push(line.slice(prefix.length));
        if (timer === undefined) {
          timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          onFirst?.();
        }
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ reported, killed: true });
      else if (code === 0) resolve({ reported, killed: false });
      else reject(new Error(`${script} exited with ${code ?? signal}: ${stderr}`));
    });
  });
}
