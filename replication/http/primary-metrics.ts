import type { TxRecord } from '../log/index.ts';

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

  /** Counts a logged transaction and its encoded size (FORMAT.md: 96 + pages × (4 + pageSize) + 4). */
  record(record: TxRecord): void {
    this.#transactions++;
    this.#bytes += 96 + record.pages.length * (4 + record.pageSize) + 4;
  }

  /** Counts a response by status. */
  request(status: number): void {
    this.#requests.set(status, (this.#requests.get(status) ?? 0) + 1);
  }

  /** The metrics as Prometheus text, with `streams` log stream clients connected now. */
  render(streams: number): string {
    const lines = [
      '# HELP wasmlite_transactions_total Transactions committed and logged by this process.',
      '# TYPE wasmlite_transactions_total counter',
      `wasmlite_transactions_total ${this.#transactions}`,
      '# HELP wasmlite_log_bytes_total Bytes of transaction records appended to the log by this process.',
      '# TYPE wasmlite_log_bytes_total counter',
      `wasmlite_log_bytes_total ${this.#bytes}`,
      '# HELP wasmlite_http_requests_total HTTP responses by status.',
      '# TYPE wasmlite_http_requests_total counter',
      ...[...this.#requests].sort(([a], [b]) => a - b).map(([status, n]) => `wasmlite_http_requests_total{status="${status}"} ${n}`),
      '# HELP wasmlite_log_stream_clients Log stream clients connected.',
      '# TYPE wasmlite_log_stream_clients gauge',
      `wasmlite_log_stream_clients ${streams}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
