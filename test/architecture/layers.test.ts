/**
 * The import rules README's "Architecture" section states, checked on
 * every file of src/: layers import downwards only, and no file reaches
 * itself through its imports (type-only imports count for both: a type from
 * a higher layer couples the lower one just the same).
 *
 * One exception: `src/context.ts` is the composition root (it builds the
 * per-process services from every layer), so any file may import its *type*
 * `AppContext` (`import type`); only processes may import its values.
 */
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { sourceFiles, SRC, syntaxOf } from "./source";

/** Lowest first. A file may import from its own layer and the ones before it. */
const LAYERS: string[][] = [
  ["lib", "db", "entities", "errors.ts", "clock.ts", "config.ts", "logger.ts", "queues.ts"],
  ["ledger"],
  ["users", "files", "audit", "mail"],
  ["credits"],
  ["jobs"],
  ["billing", "holds", "disputes", "alerts", "maintenance", "dashboard", "metrics"],
  ["workers"],
  ["api"],
  ["processes"],
];
const CONTEXT = "context.ts";

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function resolveImport(from: string, spec: string, files: Set<string>): string | null {
  if (!spec.startsWith(".")) return null;
  const base = path.resolve(path.dirname(from), spec).replace(/\.js$/, "");
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) if (files.has(candidate)) return candidate;
  throw new Error(`${path.relative(SRC, from)} imports ${spec}, which is no file of src/`);
}

/** Every relative import and re-export of a file, with whether it brings in types only. */
function importsOf(file: string, files: Set<string>): Import[] {
  const source = syntaxOf(file);
  const out: Import[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean) => {
    if (!spec || !ts.isStringLiteral(spec)) return;
    const to = resolveImport(file, spec.text, files);
    if (to) out.push({ from: file, to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const allNamedTypes = !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0
        && bindings.elements.every((e) => e.isTypeOnly) && !clause?.name;
      add(node.moduleSpecifier, !!clause && (clause.isTypeOnly || allNamedTypes));
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal as ts.Expression, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** "api", "ledger", "errors.ts", "context.ts": a file's top-level folder (or its own name at the top). */
function unitOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

function layerOf(file: string): number {
  const unit = unitOf(file);
  const i = LAYERS.findIndex((l) => l.includes(unit));
  if (i < 0) throw new Error(`src/${unit} has no layer: add it to LAYERS in this test (and to README's list)`);
  return i;
}

/** Upward imports, as "from → to" lines (relative to src/). */
function layerViolations(imports: Import[]): string[] {
  const rel = (f: string) => path.relative(SRC, f);
  return imports.flatMap((imp) => {
    if (unitOf(imp.from) === CONTEXT) return [];
    if (unitOf(imp.to) === CONTEXT) {
      return imp.typeOnly || unitOf(imp.from) === "processes" ? [] : [`${rel(imp.from)} → ${rel(imp.to)} (only processes may import context's values)`];
    }
    return layerOf(imp.to) > layerOf(imp.from) ? [`${rel(imp.from)} → ${rel(imp.to)}`] : [];
  });
}

/** Strongly connected groups of more than one file (Tarjan), each as its files relative to src/. */
function importCycles(files: string[], imports: Import[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const imp of imports) next.get(imp.from)!.push(imp.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(path.relative(SRC, w));
      } while (w !== v);
      if (group.length > 1) cycles.push(group.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}

describe("src/ import rules", () => {
  const files = sourceFiles();
  const fileSet = new Set(files);
  const imports = files.flatMap((f) => importsOf(f, fileSet));

  it("sees the tree it checks", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.length).toBeGreaterThan(500);
    // The checker itself: an upward import and a two-file cycle are found.
    const ledger = path.join(SRC, "ledger/transfers.ts");
    const api = path.join(SRC, "api/app.ts");
    expect(layerViolations([{ from: ledger, to: api, typeOnly: true }])).toEqual(["ledger/transfers.ts → api/app.ts"]);
    expect(layerViolations([{ from: api, to: ledger, typeOnly: false }])).toEqual([]);
    expect(layerViolations([{ from: ledger, to: path.join(SRC, CONTEXT), typeOnly: false }])).toHaveLength(1);
    expect(importCycles([ledger, api], [{ from: ledger, to: api, typeOnly: true }, { from: api, to: ledger, typeOnly: false }]))
      .toEqual([["api/app.ts", "ledger/transfers.ts"]]);
  });

  it("every top-level folder and file has a layer", () => {
    const units = [...new Set(files.map(unitOf))].filter((u) => u !== CONTEXT);
    expect(units.filter((u) => !LAYERS.some((l) => l.includes(u)))).toEqual([]);
  });

  it("imports only go down the layers", () => {
    expect(layerViolations(imports)).toEqual([]);
  });

  it("has no import cycles", () => {
    expect(importCycles(files, imports)).toEqual([]);
  });
});
