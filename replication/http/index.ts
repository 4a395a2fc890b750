export { decodeBatch, decodeStatement, decodeTransactionBegin, decodeValue, encodeValue } from './json-values.ts';
export { streamLog } from './log-stream.ts';
export { PrimaryMetrics } from './primary-metrics.ts';
export { PrimaryServer, type PrimaryServerOptions } from './primary-server.ts';
export { TokenAuth } from './token-auth.ts';
export { HttpTransport, type HttpTransportOptions } from './http-transport.ts';
