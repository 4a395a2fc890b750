export { WasmliteDialect } from './wasmlite-dialect.ts';
export type { WasmliteDialectConfig } from './wasmlite-dialect-config.ts';
export { WasmliteDriver } from './wasmlite-driver.ts';
export { WasmliteConnection } from './wasmlite-connection.ts';
export { WasmliteAdapter } from './wasmlite-adapter.ts';
