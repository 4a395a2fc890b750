export { WasmliteError } from './util/wasmlite-error.ts';
export * from './database/index.ts';
export * from './client/index.ts';
export type { SqlValue } from './sqlite3/values.ts';
export { Database as default } from './database/index.ts';
