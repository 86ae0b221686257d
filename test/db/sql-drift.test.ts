/**
 * One home for each database function: its file (src/ledger/sql, src/jobs/sql).
 * A migrated database must run exactly what the files say, have no function
 * without a file and no file without a function; migrations apply the files
 * rather than carry bodies of their own.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionDrift, listSqlFiles, readSqlFile } from "../../src/db/sql-files";
import { createTestDb, type TestDb } from "../helpers/db";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb({ poolSize: 2 });
});
afterAll(async () => {
  await db.close();
});

const NO_DRIFT = { withoutFile: [], withoutFunction: [], differs: [] };

describe("function files", () => {
  it("each hold one CREATE OR REPLACE FUNCTION of the function the file is named for, and nothing else", () => {
    const files = listSqlFiles();
    expect(files.map((f) => f.name)).toContain("ledger_settle");
    expect(files.map((f) => f.name)).toContain("jobs_valid");
    for (const f of files) {
      const text = readSqlFile(f.name);
      const creates = [...text.matchAll(/^\s*CREATE\b[^(]*?\b(\w+)\s*\(/gim)].map((m) => m[0].replace(/\s+/g, " ").trim());
      expect(creates, f.path).toEqual([`CREATE OR REPLACE FUNCTION ${f.name}(`]);
      expect(text.trimEnd().endsWith("$$;"), `${f.path} ends with its function`).toBe(true);
    }
  });

  it("match the migrated database's functions exactly", async () => {
    expect(await functionDrift(db.ds)).toEqual(NO_DRIFT);
  });

  it("are what migrations apply: no migration carries a function body", () => {
    const dir = path.resolve(__dirname, "../../src/entities/migrations");
    for (const f of fs.readdirSync(dir)) {
      const text = fs.readFileSync(path.join(dir, f), "utf8");
      expect(text, f).not.toMatch(/CREATE\s+(OR\s+REPLACE\s+)?FUNCTION/i);
      expect(text, `${f} imports another migration`).not.toMatch(/from\s+["']\.\/\d+-/);
    }
  });
});

describe("functionDrift", () => {
  it("finds a body that differs from its file, and leaves the database as it was", async () => {
    const runner = db.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      // ledger_settle as its file says, but one statement changed: what a migration with its own copy would leave.
      const altered = readSqlFile("ledger_settle").replace("status := 'created';", "status := 'created' ;");
      expect(altered).not.toBe(readSqlFile("ledger_settle"));
      await runner.query(altered);
      await runner.query(`CREATE FUNCTION ledger_orphan() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$`);
      await runner.query(`DROP FUNCTION ledger_hold_many`);
      await runner.commitTransaction();

      const drift = await functionDrift(db.ds);
      expect(drift.withoutFile).toEqual(["ledger_orphan"]);
      expect(drift.withoutFunction).toEqual(["ledger_hold_many"]);
      expect(drift.differs.map((d) => d.name)).toEqual(["ledger_settle"]);
      // The check rolled its own applications back: the drift is still there.
      expect(await functionDrift(db.ds)).toEqual(drift);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      // Put the database back as the migration left it (close() checks the ledger).
      await runner.query(`DROP FUNCTION IF EXISTS ledger_orphan`);
      await runner.query(readSqlFile("ledger_settle"));
      await runner.query(readSqlFile("ledger_hold_many"));
      await runner.release();
    }
    expect(await functionDrift(db.ds)).toEqual(NO_DRIFT);
  });

  it("finds a file whose signature is not the database's", async () => {
    await db.ds.query(`DROP FUNCTION ledger_derived_id`);
    await db.ds.query(`CREATE FUNCTION ledger_derived_id(p_base uuid, p_suffix text, p_extra integer) RETURNS uuid
      LANGUAGE sql IMMUTABLE AS $$ SELECT md5(p_base::text || ':' || p_suffix)::uuid $$`);
    try {
      const drift = await functionDrift(db.ds);
      expect(drift.differs).toEqual([{ name: "ledger_derived_id", why: expect.stringContaining("signature") }]);
    } finally {
      await db.ds.query(`DROP FUNCTION ledger_derived_id(uuid, text, integer)`);
      await db.ds.query(readSqlFile("ledger_derived_id"));
    }
    expect(await functionDrift(db.ds)).toEqual(NO_DRIFT);
  });
});
