import { readFileSync } from 'node:fs';

/**
 * When process `pid` started, as an opaque string that differs between two processes that had
 * the same pid (Linux: field 22 of `/proc/<pid>/stat`, clock ticks since boot). `null` where
 * the platform does not tell, or the process does not exist.
 *
 * @example
 * processStartTime(process.pid); // '123456789'
 */
export function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}
