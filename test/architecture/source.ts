/** The TypeScript files of src/, for the tests that check how the code is laid out. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export const SRC = path.resolve(__dirname, "../../src");

export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  }).sort();
}

const parsed = new Map<string, ts.SourceFile>();

/** A file's syntax tree, parsed once per test file however many checks read it. */
export function syntaxOf(file: string): ts.SourceFile {
  let source = parsed.get(file);
  if (!source) parsed.set(file, (source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)));
  return source;
}
