import { isLoopback } from '../server/start-primary.ts';
import { DEFAULT_CLOCK_MARGIN } from './leader-term.ts';

/**
 * Options of `startNode`.
 *
 * @example
 * await startNode({ data: '/srv/n1', etcd: ['http://127.0.0.1:2379'], cluster: 'app', port: 7878, durability: 'quorum' });
 */
export interface NodeOptions {
  /** The node's directory: its database (`wasmlite.db`) and log live there (created if missing). */
  readonly data: string;
  /** etcd's client URLs. */
  readonly etcd: readonly string[];
  /** The cluster's name: its keys in etcd live under `/<cluster>/`. */
  readonly cluster: string;
  /** The TCP port this node serves on, as primary or not. */
  readonly port: number;
  /** The address to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** The URL other nodes and clients reach this node at (default `http://<host>:<port>`). */
  readonly advertise?: string;
  /** The cluster's token: clients write with it, and nodes follow and report to the primary with it. */
  readonly authToken?: string;
  /**
   * More tokens the primary takes (see `PrimaryOptions.tokens`); without `authToken`, the node
   * follows and reports with the first `write` (else `replicate`) one.
   */
  readonly tokens?: {
    readonly read?: readonly string[];
    readonly write?: readonly string[];
    readonly replicate?: readonly string[];
  };
  /**
   * `quorum` (default): a write is acknowledged once a replica has it durably, and only a node
   * holding every acknowledged write may become primary; `async`: acknowledged once in the
   * primary's log, and a failover loses the writes no replica had yet (counted and logged).
   */
  readonly durability?: 'async' | 'quorum';
  /** The primary's lease TTL in seconds (default 2): roughly how long a failover takes. */
  readonly leaseTtl?: number;
  /** See `DEFAULT_CLOCK_MARGIN` (leader-term.ts). */
  readonly clockMargin?: number;
  /** This node's name on the board (default the advertised URL). */
  readonly name?: string;
  /** Where role changes are told (default `console.warn`). */
  readonly log?: (message: string) => void;
}

/** The lease TTL, in seconds, when `leaseTtl` is not given. */
export const DEFAULT_LEASE_TTL = 2;

/** {@link NodeOptions} checked, with every default filled in. */
export type SettledNodeOptions = Required<
  Pick<NodeOptions, 'host' | 'durability' | 'leaseTtl' | 'clockMargin' | 'advertise' | 'name'>
> &
  NodeOptions & { readonly log: (message: string) => void };

/**
 * Checks `options` (a TypeError worded as everywhere for the first bad one) and fills in the
 * defaults.
 *
 * @example
 * settleNodeOptions({ data: './n1', etcd: ['http://127.0.0.1:2379'], cluster: 'app', port: 7001 }).advertise;
 * // 'http://127.0.0.1:7001'
 */
export function settleNodeOptions(options: NodeOptions): SettledNodeOptions {
  if (options === null || typeof options !== 'object')
    throw new TypeError('Expected the "options" argument to be an object');
  if (typeof options.data !== 'string' || options.data === '')
    throw new TypeError('Expected the "data" option to be a directory path');
  if (!Array.isArray(options.etcd) || options.etcd.length === 0 || options.etcd.some((u) => !/^https?:\/\//.test(u)))
    throw new TypeError('Expected the "etcd" option to be a non-empty array of http:// URLs');
  if (typeof options.cluster !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(options.cluster))
    throw new TypeError('Expected the "cluster" option to be 1 to 64 letters, digits, ".", "_" or "-"');
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
    throw new TypeError('Expected the "port" option to be an integer between 1 and 65535');
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw new TypeError('Expected the "host" option to be a non-empty string');
  const durability = options.durability ?? 'quorum';
  if (durability !== 'async' && durability !== 'quorum')
    throw new TypeError('Expected the "durability" option to be "async" or "quorum"');
  const leaseTtl = options.leaseTtl ?? DEFAULT_LEASE_TTL;
  if (!Number.isSafeInteger(leaseTtl) || leaseTtl < 1)
    throw new TypeError('Expected the "leaseTtl" option to be a positive integer');
  const clockMargin = options.clockMargin ?? DEFAULT_CLOCK_MARGIN;
  if (typeof clockMargin !== 'number' || !(clockMargin >= 0 && clockMargin < 1))
    throw new TypeError('Expected the "clockMargin" option to be a number from 0 to below 1');
  const advertise = (options.advertise ?? `http://${host.includes(':') ? `[${host}]` : host}:${options.port}`).replace(
    /\/+$/,
    '',
  );
  if (!/^https?:\/\//.test(advertise)) throw new TypeError('Expected the "advertise" option to be an http:// URL');
  if (options.authToken !== undefined && (typeof options.authToken !== 'string' || options.authToken === ''))
    throw new TypeError('Expected the "authToken" option to be a non-empty string');
  // Checked now, not when the node is first elected and would start its primary.
  if (options.authToken === undefined && !options.tokens?.write?.length && !isLoopback(host))
    throw new TypeError(`Expected a token ("authToken" or "tokens.write") to serve on the non-loopback host ${host}`);
  return {
    ...options,
    host,
    durability,
    leaseTtl,
    clockMargin,
    advertise,
    name: options.name ?? advertise,
    log: options.log ?? ((message) => console.warn(`wasmlite node ${advertise}: ${message}`)),
  };
}
