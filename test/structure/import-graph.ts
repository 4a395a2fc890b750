import path from 'node:path';
import type { Node, SourceFile } from 'typescript/unstable/ast';
import { SyntaxKind } from 'typescript/unstable/ast';
import { API } from 'typescript/unstable/sync';

/** One relative import of a source file, as the TypeScript parser sees it. */
export interface ImportEdge {
  /** The importing file, relative to the repository (`core/database/database.ts`). */
  readonly from: string;
  /** The imported file, relative to the repository. */
  readonly to: string;
  /** `import type` / `export type … from`: erased from the emitted JavaScript. */
  readonly typeOnly: boolean;
  /** `import('…')`: loaded when the code runs, not when the module is. */
  readonly dynamic: boolean;
}

/**
 * Every relative `import … from`, `export … from` and `import('…')` of the TypeScript files
 * under `folders` of the project at `root` (its tsconfig.json), parsed by the TypeScript
 * compiler (a `// import x from './y'` in a comment or a string is not an import).
 *
 * @example
 * const edges = importEdges(process.cwd(), ['core', 'replication', 'adapters']);
 */
export function importEdges(root: string, folders: readonly string[]): ImportEdge[] {
  const api = new API({ cwd: root });
  try {
    const snapshot = api.updateSnapshot({ openProjects: [path.join(root, 'tsconfig.json')] });
    const program = snapshot.getProjects()[0]!.program;
    const inFolders = (file: string) => folders.some((folder) => file.startsWith(`${folder}/`));
    const edges: ImportEdge[] = [];
    for (const name of program.getSourceFileNames()) {
      const from = path.relative(root, name);
      if (!inFolders(from) || !from.endsWith('.ts')) continue;
      const source = program.getSourceFile(name)!;
      for (const found of specifiers(source)) {
        if (!found.specifier.startsWith('.')) continue;
        const to = path.relative(root, path.resolve(path.dirname(name), found.specifier));
        edges.push({ from, to, typeOnly: found.typeOnly, dynamic: found.dynamic });
      }
    }
    return edges;
  } finally {
    api.close();
  }
}

interface Specifier {
  specifier: string;
  typeOnly: boolean;
  dynamic: boolean;
}

function specifiers(source: SourceFile): Specifier[] {
  const found: Specifier[] = [];
  const visit = (node: Node): void => {
    if (node.kind === SyntaxKind.ImportDeclaration || node.kind === SyntaxKind.ExportDeclaration) {
      const declaration = node as Node & {
        moduleSpecifier?: Node & { text?: string };
        importClause?: { isTypeOnly: boolean };
        isTypeOnly?: boolean;
      };
      const text = declaration.moduleSpecifier?.text;
      if (text !== undefined) {
        // `import { type A } from` stays in the JavaScript (as `import {} from`) under
        // verbatimModuleSyntax: only a wholly type-only declaration is erased.
        const typeOnly = declaration.importClause?.isTypeOnly ?? declaration.isTypeOnly ?? false;
        found.push({ specifier: text, typeOnly, dynamic: false });
      }
      return;
    }
    if (node.kind === SyntaxKind.CallExpression) {
      const call = node as Node & { expression: Node; arguments: readonly (Node & { text?: string })[] };
      const argument = call.arguments[0];
      if (call.expression.kind === SyntaxKind.ImportKeyword && argument?.kind === SyntaxKind.StringLiteral) {
        found.push({ specifier: argument.text!, typeOnly: false, dynamic: true });
      }
    }
    node.forEachChild(visit);
  };
  source.forEachChild(visit);
  return found;
}

/**
 * The import cycles among `edges` (static ones: a dynamic `import()` does not load its module
 * with the importer), one per strongly connected group of files, each as the files of one
 * cycle through the group in import order, the first file repeated at the end.
 *
 * @example
 * importCycles(edges); // [['a.ts', 'b.ts', 'a.ts']]
 */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (edge.dynamic) continue;
    if (!next.has(edge.from)) next.set(edge.from, new Set());
    next.get(edge.from)!.add(edge.to);
  }
  const cycles: string[][] = [];
  for (const group of stronglyConnected(next)) {
    const members = new Set(group);
    const start = [...members].sort()[0]!;
    if (members.size === 1 && !next.get(start)?.has(start)) continue;
    cycles.push(cycleThrough(start, members, next));
  }
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

// Tarjan's algorithm, iterative over the files in sorted order so the result does not depend on
// the order the compiler listed them in.
function stronglyConnected(next: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const connect = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const to of [...(next.get(file) ?? [])].sort()) {
      if (!index.has(to)) {
        connect(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== file);
      groups.push(group);
    }
  };
  for (const file of [...next.keys()].sort()) if (!index.has(file)) connect(file);
  return groups;
}

/** The shortest cycle from `start` back to itself inside `members` (breadth-first). */
function cycleThrough(start: string, members: Set<string>, next: Map<string, Set<string>>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const to of [...(next.get(file) ?? [])].sort()) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(to)) {
        previous.set(to, file);
        queue.push(to);
      }
    }
  }
  return [start, start];
}
