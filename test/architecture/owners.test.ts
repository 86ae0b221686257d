/**
 * Who may run and write which SQL (README, "Architecture"):
 * src/ledger is the only code that names a ledger function, the jobs store
 * (src/jobs/store.ts) the only code that writes the `jobs` table, and raw SQL
 * goes through `sql()` (src/db/sql.ts): only src/db calls a driver's or a
 * query runner's `.query()`. SQL lives in string and template literals, so
 * those are what is searched (comments may name anything). Migrations apply
 * the ledger's files by name and run on TypeORM's migration runner; they are
 * left out.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { sourceFiles, SRC, syntaxOf } from "./source";

const LEDGER_SQL = path.join(SRC, "ledger/sql");
const MIGRATIONS = path.join(SRC, "entities/migrations");
const JOBS_STORE = path.join(SRC, "jobs/store.ts");

/** Every string and template literal's text in a file, with its line. */
function literals(file: string): { line: number; text: string }[] {
  const source = syntaxOf(file);
  const out: { line: number; text: string }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)
      || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      out.push({ line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: node.text });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** "file:line" of each `x.query(…)` call in a file. */
function queryCalls(file: string): string[] {
  const source = syntaxOf(file);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "query") {
      out.push(`${path.relative(SRC, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** "file:line: text" for each literal of the files that matches. */
function findIn(files: string[], pattern: RegExp): string[] {
  return files.flatMap((f) => literals(f).filter((l) => pattern.test(l.text))
    .map((l) => `${path.relative(SRC, f)}:${l.line}: ${l.text.trim().slice(0, 120)}`));
}

describe("who writes which SQL", () => {
  const files = sourceFiles().filter((f) => !f.startsWith(MIGRATIONS + path.sep));
  const functions = readdirSync(LEDGER_SQL).filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4));

  it("finds what it looks for", () => {
    expect(functions).toEqual(expect.arrayContaining(["ledger_hold", "ledger_settle", "ledger_settle_many"]));
    expect(findIn([path.join(SRC, "ledger/transfers.ts")], /\bledger_hold\s*\(/).length).toBeGreaterThan(0);
    expect(findIn([JOBS_STORE], /\bINSERT\s+INTO\s+jobs\b/i).length).toBeGreaterThan(0);
    expect(queryCalls(path.join(SRC, "db/sql.ts")).length).toBeGreaterThan(0);
  });

  it("only src/ledger calls a ledger function", () => {
    const calls = new RegExp(`\\b(${functions.join("|")})\\s*\\(`);
    const outside = files.filter((f) => !f.startsWith(path.join(SRC, "ledger") + path.sep));
    expect(findIn(outside, calls)).toEqual([]);
  });

  it("only the jobs store writes the jobs table", () => {
    const writes = /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+jobs\b/i;
    expect(findIn(files.filter((f) => f !== JOBS_STORE), writes)).toEqual([]);
  });

  it("only src/db calls .query(): everything else runs SQL with sql()", () => {
    expect(files.filter((f) => !f.startsWith(path.join(SRC, "db") + path.sep)).flatMap(queryCalls)).toEqual([]);
  });
});
