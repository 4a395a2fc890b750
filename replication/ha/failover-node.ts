import fs from 'node:fs';
import nodePath from 'node:path';
import { TokenAuth } from '../http/token-auth.ts';
import { Position, PositionMismatchError, TransactionLog, type TxRecord } from '../log/index.ts';
import { startPrimary, type Primary } from '../server/start-primary.ts';
import { PositionFile } from '../replica/position-file.ts';
import { Replica } from '../replica/replica.ts';
import { ReplicaFollower } from '../replica/replica-follower.ts';
import { ClusterBoard, type NodeEntry, type NodeRole } from './cluster-board.ts';
import type { EtcdConnection } from './etcd-connection.ts';
import { LeaderElection, type Leader } from './leader-election.ts';
import { LeaderFeed } from './leader-feed.ts';
import type { LeaderTerm } from './leader-term.ts';
import { NodeServer } from './node-server.ts';
import type { SettledNodeOptions } from './node-options.ts';

/**
 * A running node: see `startNode`.
 *
 * @example
 * const node = await startNode(options);
 * node.role(); // 'primary' | 'replica' | 'candidate'
 * await node.close();
 */
export interface ClusterNode {
  /** The advertised URL. */
  readonly url: string;
  role(): NodeRole;
  /** The epoch of the term it leads or follows (0n before any is known). */
  epoch(): bigint;
  /** The local database's position. */
  position(): Position;
  /** Leaves the cluster: steps down if primary (revoking the lease), stops following, closes. */
  close(): Promise<void>;
}

const DATABASE = 'wasmlite.db';
/** Board lines are rewritten at least this often, so `/status` shows a live node's lag. */
const PUBLISH_INTERVAL_MS = 1000;

/** Transactions a replica keeps in its own log (as a primary keeps by default). */
const KEPT_TXIDS = 10_000n;

/** The last position of the log in `dir` and the epoch of its last record; undefined if it has none. */
function lastLogged(dir: string): { position: Position; epoch: bigint } | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const log = TransactionLog.open(dir);
  try {
    const position = log.lastPosition();
    if (position === undefined) return undefined;
    return { position, epoch: (log.readFrom(position.txid).next().value as TxRecord).epoch };
  } finally {
    log.close();
  }
}

/**
 * A failover node's state machine (see `startNode`): stepped one look at etcd at a time, every
 * twentieth of the lease TTL. {@link FailoverNode.start} begins the steps; `close` ends them.
 *
 * @example
 * const node = new FailoverNode(await EtcdConnection.connect(urls), settleNodeOptions(options));
 * await node.start();
 */
export class FailoverNode implements ClusterNode {
  readonly url: string;
  readonly #etcd: EtcdConnection;
  readonly #options: SettledNodeOptions;
  readonly #path: string;
  readonly #election: LeaderElection;
  readonly #board: ClusterBoard;
  readonly #feed: LeaderFeed;
  readonly #auth: TokenAuth;
  #role: NodeRole = 'candidate';
  #leader: Leader | undefined;
  #term: LeaderTerm | undefined;
  #primary: Primary | undefined;
  #follower: ReplicaFollower | undefined;
  #server: NodeServer | undefined;
  /** The local database's position when neither a primary nor a follower has it open. */
  #position = Position.ZERO;
  /** Whether the local database is a primary's (its log has records): following replaces it. */
  #formerPrimary = false;
  /** The log a replica keeps of the records it applies. */
  #keptLog: TransactionLog | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stepping: Promise<void> = Promise.resolve();
  #lastPublish = 0;
  #closed = false;
  /** The epoch of the last record of the history on disk when this process started (or later). */
  #startEpoch = 0n;
  /** Whether this node's own line on the board has been read (nothing is published before). */
  #lineRead = false;
  /** The txid the current term began at. */
  #termStart = 0n;

  constructor(etcd: EtcdConnection, options: SettledNodeOptions) {
    this.#etcd = etcd;
    this.#options = options;
    this.url = options.advertise;
    this.#path = nodePath.join(options.data, DATABASE);
    this.#election = new LeaderElection(etcd, {
      cluster: options.cluster,
      ttlSeconds: options.leaseTtl,
      clockMargin: options.clockMargin,
    });
    this.#board = new ClusterBoard(etcd, options.cluster);
    this.#auth = new TokenAuth({
      read: options.tokens?.read,
      replicate: options.tokens?.replicate,
      write: [...(options.tokens?.write ?? []), ...(options.authToken === undefined ? [] : [options.authToken])],
    });
    const token = options.authToken ?? options.tokens?.write?.[0] ?? options.tokens?.replicate?.[0];
    this.#feed = new LeaderFeed({
      ...(token === undefined ? {} : { authToken: token }),
      // Published before the primary hears it: an acknowledged write is on the board first.
      beforeReport: async (report) => {
        if (this.#options.durability === 'quorum') await this.#publish(Position.parse(report.position));
      },
    });
  }

  role(): NodeRole {
    return this.#role;
  }

  epoch(): bigint {
    return this.#term?.epoch ?? this.#leader?.epoch ?? 0n;
  }

  position(): Position {
    return this.#primary?.position() ?? this.#follower?.position() ?? this.#position;
  }

  async start(): Promise<void> {
    const logged = lastLogged(`${this.#path}-log`);
    const positions = PositionFile.read(`${this.#path}-position`);
    // A replica's own log never runs ahead of its database (it is written after each apply); a
    // log ahead of the position file, or without one, is a primary's (a promoted replica keeps
    // the file it had until its history is replaced).
    this.#formerPrimary = logged !== undefined && (positions === undefined || logged.position.txid > positions.to.txid);
    if (this.#formerPrimary) {
      this.#position = logged!.position;
      this.#startEpoch = logged!.epoch;
    } else if (positions !== undefined) {
      const replica = await Replica.open(this.#path);
      this.#position = replica.position;
      replica.close();
    }
    await this.#serve();
    const tick = (): void => {
      this.#stepping = this.#stepping
        .then(() => this.#step())
        .catch((error: unknown) => this.#options.log(`step failed: ${(error as Error).message}`))
        .finally(() => {
          if (!this.#closed) this.#timer = setTimeout(tick, this.#tickMs());
        });
    };
    tick();
  }

  #tickMs(): number {
    return Math.max(50, (this.#options.leaseTtl * 1000) / 20);
  }

  /** One look at etcd, and whatever it calls for. */
  async #step(): Promise<void> {
    if (this.#closed) return;
    if (!this.#lineRead) {
      // This node's own line first: it may say a later epoch than the files here do (they keep
      // none), and a line written from less would let a node with less lead.
      const nodes = await this.#board.read().then(
        (board) => board.nodes,
        () => undefined,
      );
      if (nodes === undefined) return; // etcd out of reach: nothing to do until it is back.
      const line = nodes.find((node) => node.name === this.#options.name);
      if (line !== undefined && /^\d{1,20}$/.test(line.lastEpoch ?? '') && !this.#formerPrimary)
        this.#startEpoch = BigInt(line.lastEpoch);
      this.#lineRead = true;
    }
    if (this.#term !== undefined) {
      if (!this.#term.valid()) return this.#stepDown(this.#term.ended ?? 'the lease lapsed');
      await this.#publishNow();
      return;
    }
    let leader: Leader | undefined;
    try {
      leader = await this.#election.leader();
    } catch (error) {
      // etcd out of reach: keep following whoever was primary; reads go on.
      return;
    }
    if (leader !== undefined) {
      this.#leader = leader;
      if (leader.url === this.url) return; // A key from this node's previous life: its lease will lapse.
      await this.#follow(leader);
      await this.#publishNow();
      return;
    }
    this.#leader = undefined;
    this.#feed.point(undefined);
    if (this.#role === 'replica') this.#role = 'candidate';
    await this.#campaign();
  }

  async #campaign(): Promise<void> {
    const board = await this.#board.read();
    const { revision } = board;
    const mine = this.position();
    // In async mode only live nodes count (availability first): the most advanced of them leads,
    // so a failover loses no more than what no live replica had.
    const nodes =
      this.#options.durability === 'quorum'
        ? board.nodes
        : board.nodes.filter((node) => node.updatedAt > Date.now() - 3 * PUBLISH_INTERVAL_MS);
    // A more advanced node must lead: it may hold acknowledged writes this one lacks.
    if (ClusterBoard.replicaAhead(nodes, this.#options.name, this.#lastEpoch(), mine.txid) !== undefined) return;
    const term = await this.#election.tryLead(this.url, { prefix: this.#board.prefix, revision }, mine.toString());
    if (term === undefined) return;
    try {
      await this.#promote(term);
    } catch (error) {
      this.#options.log(`could not start as primary: ${(error as Error).message}`);
      await term.end('promotion failed');
      this.#term = undefined;
      await this.#serve();
    }
  }

  async #promote(term: LeaderTerm): Promise<void> {
    this.#startEpoch = this.#lastEpoch();
    this.#term = term;
    let startAt: { position: Position; dbId: string } | undefined;
    if (this.#follower !== undefined) {
      await this.#follower.close();
      this.#follower = undefined;
    }
    this.#keptLog?.close();
    this.#keptLog = undefined;
    if (!this.#formerPrimary && fs.existsSync(`${this.#path}-position`)) {
      const replica = await Replica.open(this.#path);
      const position = replica.position;
      replica.close();
      const dbId = fs.readFileSync(`${this.#path}-dbid`, 'utf8').trim();
      startAt = { position, dbId };
      // The records this replica kept, if they end where it is: the new primary serves them to
      // replicas behind it. Anything else is of another history.
      const logged = lastLogged(`${this.#path}-log`);
      if (logged === undefined || !logged.position.equals(position))
        fs.rmSync(`${this.#path}-log`, { recursive: true, force: true });
    }
    await this.#server?.close();
    this.#server = undefined;
    const started = performance.now();
    this.#primary = await startPrimary({
      path: this.#path,
      host: this.#options.host,
      port: this.#options.port,
      durability: this.#options.durability,
      epoch: term.epoch,
      mayAcknowledge: () => term.valid(),
      advertisedUrl: this.url,
      clusterStatus: () => this.#status(),
      heartbeatMs: 1000,
      ...(startAt === undefined ? {} : { startAt }),
      ...(this.#options.authToken === undefined ? {} : { authToken: this.#options.authToken }),
      ...(this.#options.tokens === undefined ? {} : { tokens: this.#options.tokens }),
    });
    this.#formerPrimary = true;
    this.#termStart = this.#primary.position().txid;
    this.#role = 'primary';
    this.#leader = { url: this.url, epoch: term.epoch };
    this.#options.log(
      `primary at epoch ${term.epoch} from ${this.#primary.position()} (started in ${Math.round(performance.now() - started)} ms)`,
    );
    term.onEnd(() => {
      this.#stepping = this.#stepping.then(() => (this.#term === term ? this.#stepDown(term.ended!) : undefined));
    });
    await this.#publishNow(true);
  }

  async #stepDown(reason: string): Promise<void> {
    const term = this.#term;
    if (term === undefined) return;
    this.#startEpoch = this.#lastEpoch();
    this.#term = undefined;
    this.#role = 'candidate';
    this.#options.log(`stepping down from epoch ${term.epoch}: ${reason}`);
    const primary = this.#primary;
    this.#primary = undefined;
    if (primary !== undefined) {
      this.#position = primary.position();
      await primary.close();
    }
    await term.end(reason);
    if (!this.#closed) await this.#serve();
  }

  /** Follows `leader` as a replica, starting the follower if it is not running. */
  async #follow(leader: Leader): Promise<void> {
    this.#feed.point(leader.url);
    this.#role = 'replica';
    if (this.#follower !== undefined) return;
    if (this.#formerPrimary) {
      // This history's tail may be one no replica acknowledged: it is replaced, never merged.
      const from = leader.from === undefined ? undefined : Position.parse(leader.from);
      const lost = from === undefined ? undefined : this.#position.txid - from.txid;
      this.#options.log(
        `discarding the local history at ${this.#position}: following ${leader.url}` +
          (lost === undefined || lost <= 0n
            ? ''
            : `; its last ${lost} transaction(s) (txids ${from!.txid + 1n}..${this.#position.txid}) are not in the new primary's history and are lost`),
      );
      for (const suffix of ['-position', '-dbid']) fs.rmSync(`${this.#path}${suffix}`, { force: true });
      fs.rmSync(`${this.#path}-log`, { recursive: true, force: true });
      this.#formerPrimary = false;
    }
    this.#follower = ReplicaFollower.start({
      path: this.#path,
      feed: this.#feed,
      name: this.#options.name,
      minBackoffMs: 50,
      maxBackoffMs: 500,
      idleTimeoutMs: 5000,
      log: (message) => this.#options.log(message),
      onApplied: (records) => this.#keep(records),
    });
  }

  /**
   * Appends records this replica applied to its own log (`<db>-log`), as received; a log that
   * they do not continue (a crash between an apply and its append, a new snapshot) starts again
   * from them. Keeps the last {@link KEPT_TXIDS}.
   */
  #keep(records: readonly Uint8Array[]): void {
    const dir = `${this.#path}-log`;
    this.#keptLog ??= TransactionLog.open(dir);
    for (const bytes of records) {
      try {
        this.#keptLog.appendEncoded(bytes);
      } catch (error) {
        // Another history (PositionMismatchError) or database (TypeError): start again here.
        if (!(error instanceof PositionMismatchError) && !(error instanceof TypeError)) throw error;
        this.#keptLog.close();
        fs.rmSync(dir, { recursive: true, force: true });
        this.#keptLog = TransactionLog.open(dir);
        this.#keptLog.appendEncoded(bytes);
      }
    }
    const last = this.#keptLog.lastPosition()?.txid ?? 0n;
    if (last - (this.#keptLog.firstTxid() ?? last) >= 2n * KEPT_TXIDS) this.#keptLog.compact(last - KEPT_TXIDS + 1n);
  }

  async #serve(): Promise<void> {
    if (this.#server !== undefined || this.#closed) return;
    const server = new NodeServer(
      {
        role: () => this.#role,
        epoch: () => this.epoch(),
        primaryUrl: () => this.#leader?.url,
        position: () => this.position().toString(),
        status: () => this.#status(),
      },
      this.#auth,
    );
    // The port may still be held for a moment by the primary that just closed.
    for (let attempt = 0; ; attempt++) {
      try {
        await server.listen(this.#options.host, this.#options.port);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    this.#server = server;
  }

  async #status(): Promise<unknown> {
    const board = await this.#board.read().catch(() => ({ nodes: [] as NodeEntry[] }));
    // This node's own line as it is now, not as last published.
    const nodes = [...board.nodes.filter((node) => node.name !== this.#options.name), this.#entry(this.position())];
    const primary = nodes.find((node) => node.url === this.#leader?.url && node.role === 'primary');
    const primaryTxid = primary === undefined ? undefined : Position.parse(primary.position).txid;
    return {
      name: this.#options.cluster,
      primaryUrl: this.#leader?.url ?? null,
      epoch: this.epoch().toString(),
      nodes: nodes.map((node) => ({
        ...node,
        lag: primaryTxid === undefined ? null : Number(primaryTxid - Position.parse(node.position).txid),
      })),
    };
  }

  async #publishNow(force = false): Promise<void> {
    if (!force && Date.now() - this.#lastPublish < PUBLISH_INTERVAL_MS) return;
    await this.#publish(this.position()).catch(() => {});
  }

  #publish(position: Position): Promise<void> {
    this.#lastPublish = Date.now();
    return this.#board.publish(this.#entry(position));
  }

  /** The epoch of the last record of the local history (see {@link NodeEntry.lastEpoch}). */
  #lastEpoch(): bigint {
    if (this.#term !== undefined && this.#primary !== undefined && this.#primary.position().txid > this.#termStart)
      return this.#term.epoch;
    const applied = this.#follower?.appliedEpoch() ?? 0n;
    return applied > this.#startEpoch ? applied : this.#startEpoch;
  }

  #entry(position: Position): NodeEntry {
    return {
      name: this.#options.name,
      url: this.url,
      role: this.#role,
      epoch: this.epoch().toString(),
      position: position.toString(),
      lastEpoch: this.#lastEpoch().toString(),
      updatedAt: Date.now(),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#stepping.catch(() => {});
    const term = this.#term;
    this.#term = undefined;
    await this.#primary?.close();
    this.#primary = undefined;
    await term?.end('the node closed');
    await this.#follower?.close();
    this.#keptLog?.close();
    await this.#server?.close();
    this.#etcd.close();
  }
}
