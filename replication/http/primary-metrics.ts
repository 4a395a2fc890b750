import type { TxRecord } from '../log/index.ts';
import type { ReplicaStatus } from '../primary/replica-tracker.ts';

/** A Prometheus label value: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/**
 * The counters behind `GET /metrics`, rendered in the Prometheus text format.
 *
 * @example
 * metrics.request(200);
 * response.end(metrics.render(streams));
 */
export class PrimaryMetrics {
  #transactions = 0;
  #bytes = 0;
  readonly #requests = new Map<number, number>();
  readonly #acks = new Map<number, number>();

  /** Counts a logged transaction and its encoded size (FORMAT.md: 96 + pages × (4 + pageSize) + 4). */
  record(record: TxRecord): void {
    this.#transactions++;
    this.#bytes += 96 + record.pages.length * (4 + record.pageSize) + 4;
  }

  /** Counts a response by status. */
  request(status: number): void {
    this.#requests.set(status, (this.#requests.get(status) ?? 0) + 1);
  }

  /** Counts a replica's report (`POST /v1/ack`) by status. */
  ack(status: number): void {
    this.#acks.set(status, (this.#acks.get(status) ?? 0) + 1);
  }

  /**
   * The metrics as Prometheus text, with `streams` log stream clients, `replicas` reporting now
   * and `damagedRecords` damaged records in the log.
   */
  render(streams: number, replicas: readonly ReplicaStatus[], damagedRecords = 0): string {
    const lines = [
      '# HELP wasmlite_transactions_total Transactions committed and logged by this process.',
      '# TYPE wasmlite_transactions_total counter',
      `wasmlite_transactions_total ${this.#transactions}`,
      '# HELP wasmlite_log_bytes_total Bytes of transaction records appended to the log by this process.',
      '# TYPE wasmlite_log_bytes_total counter',
      `wasmlite_log_bytes_total ${this.#bytes}`,
      '# HELP wasmlite_http_requests_total HTTP responses by status.',
      '# TYPE wasmlite_http_requests_total counter',
      ...[...this.#requests]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `wasmlite_http_requests_total{status="${status}"} ${n}`),
      '# HELP wasmlite_log_stream_clients Log stream clients connected.',
      '# TYPE wasmlite_log_stream_clients gauge',
      `wasmlite_log_stream_clients ${streams}`,
      '# HELP wasmlite_log_damaged_records Records of the log found damaged (replicas that need them get a snapshot).',
      '# TYPE wasmlite_log_damaged_records gauge',
      `wasmlite_log_damaged_records ${damagedRecords}`,
      '# HELP wasmlite_replica_reports_total Position reports from replicas (POST /v1/ack), by status; not in wasmlite_http_requests_total.',
      '# TYPE wasmlite_replica_reports_total counter',
      ...[...this.#acks]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `wasmlite_replica_reports_total{status="${status}"} ${n}`),
      '# HELP wasmlite_replica_lag_transactions Transactions committed here that a replica has not reported applied.',
      '# TYPE wasmlite_replica_lag_transactions gauge',
      ...replicas.map(
        (r) => `wasmlite_replica_lag_transactions{replica="${label(r.name)}",id="${r.id}"} ${r.lagTxids}`,
      ),
      '# HELP wasmlite_replica_lag_seconds Age of the oldest transaction a replica has not reported applied.',
      '# TYPE wasmlite_replica_lag_seconds gauge',
      ...replicas.map(
        (r) =>
          `wasmlite_replica_lag_seconds{replica="${label(r.name)}",id="${r.id}"} ${r.lagMs < 0 ? 'NaN' : r.lagMs / 1000}`,
      ),
    ];
    return `${lines.join('\n')}\n`;
  }
}
