export { PrismaWasmlite, type PrismaWasmliteConfig, type PrismaWasmliteOptions } from './prisma-wasmlite.ts';
export { WasmliteAdapter } from './wasmlite-adapter.ts';
export { WasmliteTransaction } from './wasmlite-transaction.ts';
export { WasmliteQueryable } from './wasmlite-queryable.ts';
export { toDriverAdapterError } from './errors.ts';
export type { TimestampFormat } from './conversion.ts';
export { migrate, type MigrateOptions, type MigrateResult } from './migrate.ts';
export { PrismaMigrateError, type PrismaMigrateErrorCode } from './prisma-migrate-error.ts';
