/**
 * The database's functions live one per file, next to the code that owns
 * them: `src/ledger/sql/ledger_settle.sql`, `src/jobs/sql/jobs_valid.sql`.
 * Each file is one `CREATE OR REPLACE FUNCTION` holding today's body, so a
 * reader opens one file to see what the database runs. Migrations never
 * carry copies of a body: they apply the files by name (`applySqlFiles`),
 * and a migration that changes a function is the edited file plus a
 * one-line migration re-applying it. test/db/sql-drift.test.ts fails when a
 * migrated database's functions and the files disagree (`functionDrift`).
 *
 * The files are read from the repository's `src/` tree, also by the compiled
 * code in `dist/` (tsc does not copy .sql files): one copy that no build step
 * can leave stale, whichever way the code was built or started (`npm run
 * build`, `npm start`'s own tsc call, tsx, vitest).
 */
import fs from "node:fs";
import path from "node:path";
import type { DataSource } from "typeorm";

/** Folders holding function files, relative to the repository root. A function's name is unique across them. */
export const SQL_DIRS = ["src/ledger/sql", "src/jobs/sql"] as const;

/** Anything that runs a statement: a TypeORM QueryRunner, EntityManager or DataSource, or a pg Client. */
export interface SqlRunner {
  query(sql: string): Promise<unknown>;
}

let root: string | undefined;

/** The nearest folder above this file holding package.json: the repository root from src/db and from dist/src/db alike. */
function repositoryRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return (root = dir);
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}: cannot find the SQL files`);
  }
}

export interface SqlFile {
  /** The function's name, which is also the file's name without `.sql`. */
  name: string;
  path: string;
}

/** Every function file, sorted by name. */
export function listSqlFiles(): SqlFile[] {
  const files: SqlFile[] = [];
  for (const dir of SQL_DIRS) {
    const abs = path.join(repositoryRoot(), dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs.readdirSync(abs)) {
      if (f.endsWith(".sql")) files.push({ name: f.slice(0, -".sql".length), path: path.join(abs, f) });
    }
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Bodies that no database at the end of the migration chain runs: a later
 * migration dropped the function or gave it another signature. They are kept,
 * one file each, only for the earlier migrations that create them (see the
 * folder's README); functionDrift and listSqlFiles never look here.
 */
export const RETIRED_SQL_DIR = "src/db/retired-sql";

/** The text of one function's file. */
export function readSqlFile(name: string): string {
  return readFrom(SQL_DIRS, name);
}

function readFrom(dirs: readonly string[], name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a function name: ${JSON.stringify(name)}`);
  const hits = dirs.map((dir) => path.join(repositoryRoot(), dir, `${name}.sql`)).filter((p) => fs.existsSync(p));
  if (hits.length !== 1) {
    throw new Error(hits.length === 0 ? `no SQL file for function ${name} in ${dirs.join(", ")}` : `function ${name} has two files: ${hits.join(", ")}`);
  }
  return fs.readFileSync(hits[0], "utf8");
}

/**
 * Apply function files, in the order given (a function used by a CHECK
 * constraint or a trigger must exist before it; one whose signature names a
 * table's row type after the table). Bodies are not checked against the
 * schema while they are created (check_function_bodies off for the rest of
 * the transaction, as pg_dump restores do): a file holds today's body, which
 * may use what a later migration adds. Migrations run in a transaction.
 */
export async function applySqlFiles(q: SqlRunner, names: readonly string[]): Promise<void> {
  await apply(q, names.map((n) => readSqlFile(n))); // every file found before anything runs
}

/** Apply retired bodies (RETIRED_SQL_DIR): for the migrations that created them before a later one replaced them. */
export async function applyRetiredSqlFiles(q: SqlRunner, names: readonly string[]): Promise<void> {
  await apply(q, names.map((n) => readFrom([RETIRED_SQL_DIR], n)));
}

async function apply(q: SqlRunner, texts: readonly string[]): Promise<void> {
  await q.query(`SET LOCAL check_function_bodies = off`);
  for (const text of texts) await q.query(text);
}

/** How a database's functions differ from the files; all empty when they agree. */
export interface FunctionDrift {
  /** Functions in the database (schema public, not an extension's) with no file. */
  withoutFile: string[];
  /** Files whose function the database lacks. */
  withoutFunction: string[];
  /** Files whose function differs (applying the file would change it), with how. */
  differs: { name: string; why: string }[];
}

const FUNCTIONS = `
SELECT p.oid::regprocedure::text AS signature, p.proname AS name, pg_get_functiondef(p.oid) AS def
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`;

/**
 * Compare the database's functions with the files: apply every file inside a
 * transaction that is rolled back, and report each function whose
 * definition (pg_get_functiondef: signature, options and body, byte for
 * byte) the file would change. Nothing is left changed. Against a
 * long-lived database this also finds a file edited without a migration
 * that re-applies it.
 */
export async function functionDrift(ds: DataSource): Promise<FunctionDrift> {
  const files = listSqlFiles();
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const before: { signature: string; name: string; def: string }[] = await runner.query(FUNCTIONS);
    const names = new Set(files.map((f) => f.name));
    const drift: FunctionDrift = {
      withoutFile: [...new Set(before.filter((f) => !names.has(f.name)).map((f) => f.name))].sort(),
      withoutFunction: files.filter((f) => !before.some((b) => b.name === f.name)).map((f) => f.name),
      differs: [],
    };
    await runner.query(`SET LOCAL check_function_bodies = off`);
    for (const file of files) {
      if (drift.withoutFunction.includes(file.name)) continue;
      await runner.query(`SAVEPOINT drift`);
      try {
        await runner.query(readSqlFile(file.name));
        const after: { signature: string; name: string; def: string }[] = await runner.query(FUNCTIONS);
        const mine = (rows: typeof after) => new Map(rows.filter((r) => r.name === file.name).map((r) => [r.signature, r.def]));
        const was = mine(before);
        const now = mine(after);
        const added = [...now.keys()].filter((s) => !was.has(s));
        const changed = [...now.keys()].filter((s) => was.has(s) && was.get(s) !== now.get(s));
        if (added.length > 0) drift.differs.push({ name: file.name, why: `the file's signature ${added.join(", ")} is not the database's ${[...was.keys()].join(", ")}` });
        else if (changed.length > 0) drift.differs.push({ name: file.name, why: `definition of ${changed.join(", ")} differs` });
        else if (after.length !== before.length) drift.differs.push({ name: file.name, why: "the file creates another function" });
      } catch (err) {
        drift.differs.push({ name: file.name, why: err instanceof Error ? err.message : String(err) });
      }
      await runner.query(`ROLLBACK TO SAVEPOINT drift`);
    }
    return drift;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}
