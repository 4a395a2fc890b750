/** Where bench/suites/replication.mjs bundles bench/replication/entry.ts (core + replication). */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const BUNDLE_FILE = 'bench/.build/lib/replication.mjs';
export const BUNDLE = pathToFileURL(path.join(import.meta.dirname, '..', '..', BUNDLE_FILE)).href;
