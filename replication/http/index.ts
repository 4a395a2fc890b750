export { decodeBatch, decodeStatement, decodeTransactionBegin, decodeValue } from './json-values.ts';
export { ARGUMENT_FORMS, decodeArgument, decodeResultValue, encodeArgument, encodeResultValue } from './wire-values.ts';
export { streamLog } from './log-stream.ts';
export { PrimaryMetrics } from './primary-metrics.ts';
export { PrimaryServer, type PrimaryServerOptions } from './primary-server.ts';
export { TokenAuth } from './token-auth.ts';
export { HttpTransport, type HttpTransportOptions } from './http-transport.ts';
export { HttpPrimaryFeed, type HttpPrimaryFeedOptions } from './http-primary-feed.ts';
export { ClusterPrimaryFeed, type ClusterPrimaryFeedOptions } from './cluster-primary-feed.ts';
