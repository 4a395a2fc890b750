/**
 * Turns the collected measurements into markdown: one table per workload, the targets with
 * pass/miss, and notes about anything odd. The same text is printed and written to BENCHMARKS.md.
 *
 * ```js
 * const report = new Report(results, drivers, workloads, params);
 * console.log(report.tables().join('\n\n'));
 * ```
 */
import { median } from './stats.mjs';

/**
 * Every repetition of one driver × workload × mode.
 * @typedef {object} Cell
 * @property {number[]} ms
 * @property {Record<string, number[]>} metrics
 * @property {string[]} failures    error messages, timeouts
 * @property {string[]} mismatches  checksums that differed from the expected one
 * @property {string} [expected]     the checksum they should have had
 * @property {number} hung          children killed after printing their result
 * @property {number} busy          runs started while other processes kept the CPU or disk busy
 * @property {string} [journal]
 * @property {string} [sqlite]
 * @property {number} [pageSize]
 * @property {number} [cacheSize]
 */

const BASELINE = 'better-sqlite3';
const SUBJECT = 'wasmlite';

const MODE_LABELS = {
  memory: ':memory:',
  file: 'file (WAL)',
  full: 'synchronous=FULL',
  normal: 'synchronous=NORMAL',
};

function fmt(x, digits) {
  if (!Number.isFinite(x)) return '—';
  if (digits !== undefined) return x.toFixed(digits);
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? ':--' : '--:'))), ...rows.map(line)].join('\n');
}

export class Report {
  /**
   * @param {Map<string, Cell>} results  keyed `workload/mode/driver`
   * @param {Map<string, { name: string, peer?: string }>} drivers  the adapters that ran, by file name
   * @param {Record<string, any>} workloads
   * @param {Record<string, any>} params  the sizes used (for titles)
   */
  constructor(results, drivers, workloads, params) {
    this.results = results;
    this.drivers = drivers;
    this.workloads = workloads;
    this.params = params;
  }

  /** The median time of a cell, or NaN when it failed, mismatched or did not run. */
  ms(workload, mode, driver) {
    const cell = this.results.get(`${workload}/${mode}/${driver}`);
    if (!cell || cell.mismatches.length > 0) return NaN;
    return median(cell.ms);
  }

  metric(workload, mode, driver, name) {
    const cell = this.results.get(`${workload}/${mode}/${driver}`);
    if (!cell || cell.mismatches.length > 0) return NaN;
    return median(cell.metrics[name] ?? []);
  }

  #name(driver, workload) {
    if (driver === 'fs') return this.workloads[workload].native.name;
    if (driver === 'node') return 'node, no driver (process start)';
    return this.drivers.get(driver)?.name ?? driver;
  }

  #status(workload, mode, driver, value) {
    const cell = this.results.get(`${workload}/${mode}/${driver}`);
    if (!cell) return 'n/a';
    if (cell.mismatches.length > 0) return '**MISMATCH**';
    if (cell.ms.length === 0) return cell.failures.some((f) => f.startsWith('timeout')) ? 'timeout' : 'error';
    return value();
  }

  #rowsFor(workload) {
    const ids = [...this.drivers.keys()];
    if (workload === 'coldstart') ids.unshift('node');
    if (this.workloads[workload]?.native) ids.push('fs');
    return ids.filter((d) => [...this.results.keys()].some((k) => k.startsWith(`${workload}/`) && k.endsWith(`/${d}`)));
  }

  /** Milliseconds and the ratio to better-sqlite3 for each mode of a workload. */
  timeTable(workload) {
    const modes = this.workloads[workload].modes;
    const header = ['driver'];
    for (const mode of modes) header.push(`${MODE_LABELS[mode]} ms`, `÷ ${BASELINE}`);
    const rows = this.#rowsFor(workload).map((d) => {
      const cells = [this.#name(d, workload)];
      for (const mode of modes) {
        const ms = this.ms(workload, mode, d);
        cells.push(this.#status(workload, mode, d, () => fmt(ms)));
        cells.push(this.#status(workload, mode, d, () => `${fmt(ms / this.ms(workload, mode, BASELINE), 2)}×`));
      }
      return cells;
    });
    return table(header, rows);
  }

  coldStartTable() {
    const base = this.ms('coldstart', 'memory', BASELINE);
    const rows = this.#rowsFor('coldstart').map((d) => {
      const ms = this.ms('coldstart', 'memory', d);
      const status = (value) => this.#status('coldstart', 'memory', d, value);
      return [
        this.#name(d, 'coldstart'),
        status(() => fmt(ms)),
        status(() => `${ms >= base ? '+' : ''}${fmt(ms - base, 1)}`),
      ];
    });
    return table(['driver', 'spawn → first result ms', `± ${BASELINE} ms`], rows);
  }

  cacheMissTable() {
    const pread = this.metric('cachemiss', 'file', 'fs', 'readUs');
    const rows = this.#rowsFor('cachemiss').map((d) => {
      const status = (value) => this.#status('cachemiss', 'file', d, value);
      const m = (name) => this.metric('cachemiss', 'file', d, name);
      if (d === 'fs') {
        return [
          this.#name(d, 'cachemiss'),
          '—',
          '—',
          '1',
          status(() => `${fmt(m('readUs'), 2)} (8 KiB: ${fmt(m('read8kUs'), 2)})`),
          '1.00×',
        ];
      }
      return [
        this.#name(d, 'cachemiss'),
        status(() => fmt(m('coldUs'), 2)),
        status(() => fmt(m('hotUs'), 2)),
        status(() => fmt(m('readsPerQuery'), 2)),
        status(() => fmt(m('missUs'), 2)),
        status(() => `${fmt(m('missUs') / pread, 2)}×`),
      ];
    });
    const header = [
      'driver',
      'µs/query, whole file',
      'µs/query, first 1 MiB (cached)',
      'reads/query',
      'µs/read',
      '÷ native pread',
    ];
    return table(header, rows);
  }

  memoryTable() {
    const rows = this.#rowsFor('memory').map((d) => {
      const status = (value) => this.#status('memory', 'file', d, value);
      const rss = this.metric('memory', 'file', d, 'maxRssMiB');
      return [
        this.#name(d, 'memory'),
        status(() => fmt(this.ms('memory', 'file', d))),
        status(() => fmt(rss, 0)),
        status(() => (rss < 256 ? 'yes' : '**no**')),
      ];
    });
    return table(['driver', 'scan ms', 'peak RSS MiB', '< 256 MiB'], rows);
  }

  /**
   * Each runtime's built-in SQLite (node:sqlite on Node, bun:sqlite on Bun) against wasmlite on
   * this Node and wasmlite on that same runtime: one row per workload × mode, two columns per peer.
   */
  runtimePeersTable() {
    const pairs = [...this.drivers].flatMap(([id, d]) => (d.peer ? [[id, d.peer]] : []));
    const ratio = (w, mode, id, peer) =>
      this.#status(w, mode, id, () =>
        this.#status(w, mode, peer, () => `${fmt(this.ms(w, mode, id) / this.ms(w, mode, peer), 2)}×`),
      );
    const rows = [];
    for (const [w, workload] of Object.entries(this.workloads)) {
      for (const mode of workload.modes) {
        if (!pairs.some(([, peer]) => this.results.has(`${w}/${mode}/${peer}`))) continue;
        const cells = pairs.flatMap(([id, peer]) => [ratio(w, mode, SUBJECT, peer), ratio(w, mode, id, peer)]);
        rows.push([`${workload.title(this.params[w])}, ${MODE_LABELS[mode]}`, ...cells]);
      }
    }
    const header = ['workload'];
    for (const [id, peer] of pairs) {
      const name = this.#name(peer, '');
      header.push(`${SUBJECT} (this Node) ÷ ${name}`, `${this.#name(id, '')} ÷ ${name.replace(/ \(.*\)$/, '')}`);
    }
    return rows.length > 0 ? table(header, rows) : undefined;
  }

  /** One `## title` section per workload that ran. */
  tables() {
    const ran = (w) => [...this.results.keys()].some((k) => k.startsWith(`${w}/`));
    const sections = [];
    for (const w of Object.keys(this.workloads)) {
      if (!ran(w)) continue;
      const body = w === 'cachemiss' ? this.cacheMissTable() : w === 'memory' ? this.memoryTable() : this.timeTable(w);
      sections.push(`### ${this.workloads[w].title(this.params[w])}\n\n${body}`);
    }
    const peers = this.runtimePeersTable();
    if (peers)
      sections.push(
        `### Runtime peers: wasmlite ÷ the built-in SQLite of Node 24 and Bun (time ratio, lower is better)\n\n${peers}`,
      );
    if (ran('coldstart'))
      sections.push(`### Cold start: process spawn to the first \`SELECT 1\` result\n\n${this.coldStartTable()}`);
    return sections;
  }

  /** The targets next to what was measured. */
  targets() {
    const rows = [];
    const add = (target, value, ok, detail) =>
      rows.push([
        target,
        Number.isFinite(value) ? detail : 'not run',
        Number.isFinite(value) ? (ok ? 'pass' : '**miss**') : '—',
      ]);
    const ratio = (w, mode, other) => this.ms(w, mode, SUBJECT) / this.ms(w, mode, other);
    const speedup = (w, mode, other) => this.ms(w, mode, other) / this.ms(w, mode, SUBJECT);
    const modes = (w) => this.workloads[w].modes.filter((m) => this.results.has(`${w}/${m}/${BASELINE}`));

    for (const [w, limit, what] of /** @type {Array<[string, number, string]>} */ ([
      ['point', 0.9, 'point selects'],
      ['range', 0.7, '1000-row range scans'],
      ['bulk', 1.25, 'bulk insert in one transaction'],
    ])) {
      for (const mode of modes(w))
        add(
          `${what}, ${MODE_LABELS[mode]}: ≤ ${limit}× better-sqlite3`,
          ratio(w, mode, BASELINE),
          ratio(w, mode, BASELINE) <= limit,
          `${fmt(ratio(w, mode, BASELINE), 2)}×`,
        );
    }
    if (this.results.has(`autocommit/full/${BASELINE}`)) {
      const r = ratio('autocommit', 'full', BASELINE);
      add('autocommit inserts, synchronous=FULL: ≤ 1.05× better-sqlite3', r, r <= 1.05, `${fmt(r, 2)}×`);
    }
    const faster = (other, label, min, pairs) => {
      for (const [w, what] of pairs) {
        for (const mode of modes(w)) {
          if (!this.results.has(`${w}/${mode}/${other}`)) continue;
          const s = speedup(w, mode, other);
          add(`≥ ${min}× faster than ${label}: ${what}, ${MODE_LABELS[mode]}`, s, s >= min, `${fmt(s, 2)}×`);
        }
      }
    };
    faster('node-sqlite3-wasm', 'node-sqlite3-wasm', 2, [
      ['point', 'point selects'],
      ['range', 'range scans'],
    ]);
    faster('node-sqlite3-wasm', 'node-sqlite3-wasm', 1.8, [['bulk', 'bulk insert']]);
    faster('sqlite-wasm-oo1', 'oo1', 5, [
      ['point', 'point selects'],
      ['range', 'range scans'],
      ['bulk', 'bulk insert'],
    ]);
    if (this.results.has('cachemiss/file/fs')) {
      const r = this.metric('cachemiss', 'file', SUBJECT, 'missUs') / this.metric('cachemiss', 'file', 'fs', 'readUs');
      add('cache-miss page read: ≤ 1.5× a native pread', r, r <= 1.5, `${fmt(r, 2)}×`);
    }
    if (this.results.has(`coldstart/memory/${BASELINE}`)) {
      const d = this.ms('coldstart', 'memory', SUBJECT) - this.ms('coldstart', 'memory', BASELINE);
      add('cold start: ≤ 20 ms more than better-sqlite3', d, d <= 20, `${d >= 0 ? '+' : ''}${fmt(d, 1)} ms`);
    }
    if (this.results.has(`memory/file/${BASELINE}`)) {
      const rss = this.metric('memory', 'file', SUBJECT, 'maxRssMiB');
      add(
        `scanning a ${this.params.memory.fixture.size} file: peak RSS < 256 MiB`,
        rss,
        rss < 256,
        `${fmt(rss, 0)} MiB`,
      );
    }
    return table(['target (wasmlite, same Node, same mode, same run)', 'measured', 'result'], rows);
  }

  /** Failures, mismatches, hangs at exit and journal modes other than WAL, one bullet each. */
  notes() {
    const notes = [];
    for (const [key, cell] of this.results) {
      const [w, mode, d] = key.split('/');
      const where = `${this.#name(d, w)}, ${w}, ${MODE_LABELS[mode] ?? mode}`;
      if (cell.mismatches.length > 0)
        notes.push(`**MISMATCH** ${where}: got \`${cell.mismatches[0]}\`, expected \`${cell.expected}\``);
      for (const f of new Set(cell.failures)) notes.push(`failed: ${where}: ${f}`);
      if (cell.hung > 0)
        notes.push(`hung at exit (killed after printing its result) ${cell.hung}× of ${cell.ms.length}: ${where}`);
      if (cell.journal && cell.journal !== 'wal') notes.push(`journal_mode was ${cell.journal}, not wal: ${where}`);
    }
    const cells = [...this.results.values()];
    const busy = cells.reduce((n, c) => n + c.busy, 0);
    if (busy > 0) {
      const runs = cells.reduce((n, c) => n + c.ms.length + c.failures.length, 0);
      notes.push(
        `**${busy} of ${runs} runs started while other processes kept the CPU or the disk busy** (waiting for quiet gave up): rerun on an idle machine before trusting small differences`,
      );
    }
    return notes.map((n) => `- ${n}`);
  }
}
