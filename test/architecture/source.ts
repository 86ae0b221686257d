/** The TypeScript files of src/, for the tests that check how the code is laid out. */
import { readdirSync } from "node:fs";
import path from "node:path";

export const SRC = path.resolve(__dirname, "../../src");

export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  }).sort();
}
