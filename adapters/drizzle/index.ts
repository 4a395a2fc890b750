export { drizzle, WasmliteDatabase, type WasmliteConnection, type WasmliteDrizzle } from './driver.ts';
export {
  WasmliteSession,
  WasmliteTransaction,
  type WasmliteSessionOptions,
  type WasmliteTransactionConfig,
} from './session.ts';
export { WasmlitePreparedQuery } from './prepared-query.ts';
