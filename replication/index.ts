export * from './log/index.ts';
export * from './capture/index.ts';
export { startPrimary, RequestError, type Primary, type PrimaryOptions } from './primary/index.ts';
