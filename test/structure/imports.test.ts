import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importCycles, importEdges, type ImportEdge } from './import-graph.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** No folder imports a folder that imports it back (issue 12), type imports included. */
const FOLDER_CYCLES: readonly string[] = [];

/** The one import from core into replication: `createClient({ syncUrl })` loads it on first use. */
const CORE_LAZY_IMPORTS = ['core/client/load-replica-backend.ts → replication/http/replica-backend.ts'];

let edges: ImportEdge[];
beforeAll(() => {
  edges = importEdges(ROOT, ['core', 'replication', 'adapters']);
});

const arrow = (edge: ImportEdge) => `${edge.from} → ${edge.to}`;
const folderOf = (file: string) => path.dirname(file);

describe('the module graph', () => {
  it('parses the imports of every source file', () => {
    // A parser that found nothing would pass every other test here.
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.map(arrow)).toContain('core/database/database.ts → core/database/statement.ts');
    expect(edges.filter((edge) => edge.dynamic).map(arrow)).toEqual(expect.arrayContaining(CORE_LAZY_IMPORTS));
  });

  it('core imports nothing from replication or adapters, except the lazy replica import', () => {
    const outward = edges.filter(
      (edge) =>
        edge.from.startsWith('core/') && !edge.to.startsWith('core/') && !CORE_LAZY_IMPORTS.includes(arrow(edge)),
    );
    expect(outward.map(arrow)).toEqual([]);
  });

  it("core's folders import downwards only, type imports included: client → database → vfs → sqlite3 → util", () => {
    const LAYERS = ['core/client', 'core/database', 'core/vfs', 'core/sqlite3', 'core/util'];
    const layer = (file: string) => LAYERS.indexOf(folderOf(file));
    const upward = edges.filter(
      (edge) => layer(edge.from) >= 0 && layer(edge.to) >= 0 && layer(edge.to) < layer(edge.from),
    );
    expect(upward.map(arrow)).toEqual([]);
  });

  it("adapters import only the package's public surface (core/index.ts), never replication", () => {
    const outside = edges.filter(
      (edge) =>
        edge.from.startsWith('adapters/') && folderOf(edge.to) !== folderOf(edge.from) && edge.to !== 'core/index.ts',
    );
    expect(outside.map(arrow)).toEqual([]);
  });

  it('has no import cycle among source files', () => {
    // `import type` is erased from the JavaScript, so it orders no module loading: a Statement
    // may name its Database's type while database.ts imports statement.ts.
    const cycles = importCycles(edges.filter((edge) => !edge.typeOnly));
    expect(cycles.map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('has no import cycle among folders, type imports included', () => {
    const between = edges
      .map((edge) => ({ ...edge, from: folderOf(edge.from), to: folderOf(edge.to) }))
      .filter((edge) => edge.from !== edge.to);
    const cycles = importCycles(between).map((cycle) => cycle.join(' → '));
    expect(cycles).toEqual(FOLDER_CYCLES);
  });
});
