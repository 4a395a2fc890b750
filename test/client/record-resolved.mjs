// A module resolve hook (node:module `register`) for replica-client-child.ts: appends the URL of
// every module the process resolves to the file `data.log`, so that the child can tell which
// modules it has loaded.
import fs from 'node:fs';

let log;

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  fs.appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
