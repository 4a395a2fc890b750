import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../support/temp-dir.ts';
import { importCycles, importEdges, type ImportEdge } from './import-graph.ts';

const temp = useTempDir();

function edge(from: string, to: string, options: Partial<ImportEdge> = {}): ImportEdge {
  return { from, to, typeOnly: false, dynamic: false, ...options };
}

describe('importEdges', () => {
  it('reads import, export-from and import() specifiers, not text that looks like one', () => {
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(temp.dir, file)), { recursive: true });
      fs.writeFileSync(path.join(temp.dir, file), text);
    };
    write('tsconfig.json', JSON.stringify({ compilerOptions: { allowImportingTsExtensions: true, noEmit: true } }));
    write(
      'src/a.ts',
      [
        "import { b } from './b.ts';",
        "import type { C } from './c.ts';",
        "import { type D } from '../lib/d.ts';",
        "export * from './e.ts';",
        "export type { F } from './f.ts';",
        "import fs from 'node:fs';",
        "// import { g } from './g.ts';",
        'const text = "import { h } from \'./h.ts\'";',
        "export async function load() { return import('./i.ts'); }",
      ].join('\n'),
    );
    for (const name of ['b', 'c', 'e', 'f', 'i']) write(`src/${name}.ts`, `export const ${name} = 1;`);
    write('lib/d.ts', 'export type D = 1;');
    const edges = importEdges(temp.dir, ['src']).filter((found) => found.from === 'src/a.ts');
    expect(edges).toEqual([
      edge('src/a.ts', 'src/b.ts'),
      edge('src/a.ts', 'src/c.ts', { typeOnly: true }),
      edge('src/a.ts', 'lib/d.ts'),
      edge('src/a.ts', 'src/e.ts'),
      edge('src/a.ts', 'src/f.ts', { typeOnly: true }),
      edge('src/a.ts', 'src/i.ts', { dynamic: true }),
    ]);
  });
});

describe('importCycles', () => {
  it('finds each cycle once, with its path, and ignores dynamic imports', () => {
    const cycles = importCycles([
      edge('a', 'b'),
      edge('b', 'c'),
      edge('c', 'a'),
      edge('c', 'd'),
      edge('d', 'd'),
      edge('e', 'f'),
      edge('f', 'e', { dynamic: true }),
    ]);
    expect(cycles).toEqual([
      ['a', 'b', 'c', 'a'],
      ['d', 'd'],
    ]);
  });

  it('reports the shortest cycle through a group', () => {
    expect(importCycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('b', 'a')])).toEqual([['a', 'b', 'a']]);
  });
});
