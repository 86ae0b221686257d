/**
 * The hot tables' CHECK rules take the whole row (migration WholeRowChecks):
 * cheaper per statement than a list of columns, same rules. Its down() puts
 * the column forms back from the retired files and up() takes them away
 * again, leaving the database exactly as the files say.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionDrift } from "../../src/db/sql-files";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { createTestDb, type TestDb } from "../helpers/db";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb({ poolSize: 2 });
});
afterAll(async () => {
  await db.close();
});

const RULES: Record<string, string> = {
  ledger_accounts: "ledger_accounts_not_negative",
  ledger_transfers: "ledger_transfers_shape",
  ledger_pending: "ledger_pending_consistent",
  ledger_lots: "ledger_lots_check",
  jobs: "jobs_consistent",
};

/** Each table's rule as PostgreSQL prints it, and the signatures of the rule functions. */
async function rules(): Promise<{ checks: Record<string, string>; functions: string[] }> {
  const rows: { table: string; def: string }[] = await db.ds.query(
    `SELECT conrelid::regclass::text AS table, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = ANY ($1)`,
    [Object.values(RULES)],
  );
  const fns: { sig: string }[] = await db.ds.query(
    `SELECT oid::regprocedure::text AS sig FROM pg_proc WHERE proname = ANY ($1) ORDER BY 1`,
    [Object.keys(RULES).map((t) => (t === "jobs" ? "jobs_valid" : `${t}_valid`))],
  );
  return { checks: Object.fromEntries(rows.map((r) => [r.table, r.def])), functions: fns.map((f) => f.sig) };
}

/** A user account's debits raised past its credits by hand, bypassing the ledger: the error it gets. */
async function overdraft(): Promise<unknown> {
  const { user } = await createUser(db.ds.manager, { email: `${randomUUID()}@example.com` });
  await ledger.grant(db.ds.manager, { id: randomUUID(), userId: user.id, amount: 10, category: "purchase" });
  return db.ds.query(`UPDATE ledger_accounts SET debits_posted = credits_posted + 1 WHERE user_id = $1`, [user.id])
    .then(() => "accepted", (e: unknown) => e);
}

const ROW_FORM = {
  checks: {
    ledger_accounts: "CHECK (ledger_accounts_valid(ledger_accounts.*))",
    ledger_transfers: "CHECK (ledger_transfers_valid(ledger_transfers.*))",
    ledger_pending: "CHECK (ledger_pending_valid(ledger_pending.*))",
    ledger_lots: "CHECK (ledger_lots_valid(ledger_lots.*))",
    jobs: "CHECK (jobs_valid(jobs.*))",
  },
  functions: ["jobs_valid(jobs)", "ledger_accounts_valid(ledger_accounts)", "ledger_lots_valid(ledger_lots)",
    "ledger_pending_valid(ledger_pending)", "ledger_transfers_valid(ledger_transfers)"],
};

describe("CHECK rules of the hot tables", () => {
  it("call one function with the whole row, and no column-taking copy is left", async () => {
    expect(await rules()).toEqual(ROW_FORM);
  });

  it("go back to the column forms on down() and return on up(), with no drift from the files", async () => {
    const runner = db.ds.createQueryRunner();
    await runner.connect();
    try {
      const migration = db.ds.migrations.find((m) => m.name === "WholeRowChecks1765000001900")!;
      await runner.startTransaction();
      await migration.down!(runner);
      await runner.commitTransaction();
      const down = await rules();
      expect(down.checks.ledger_accounts).toBe(
        "CHECK (ledger_accounts_valid(kind, credits_posted, debits_posted, credits_pending, debits_pending))",
      );
      expect(down.checks.jobs).toMatch(/^CHECK \(jobs_valid\(status, finished_at, attempt, max_attempts, progress, credits_estimated/);
      expect(down.functions).not.toContain("ledger_lots_valid(ledger_lots)");
      expect(down.functions).toContain("ledger_lots_valid(ledger_amount,bigint)");
      // The rule still holds in the column form: an overdraft written by hand is refused under its name.
      await expect(overdraft()).resolves.toMatchObject({ code: "23514", constraint: "ledger_accounts_not_negative" });

      await runner.startTransaction();
      await migration.up(runner);
      await runner.commitTransaction();
      expect(await rules()).toEqual(ROW_FORM);
      await expect(overdraft()).resolves.toMatchObject({ code: "23514", constraint: "ledger_accounts_not_negative" });
      expect(await functionDrift(db.ds)).toEqual({ withoutFile: [], withoutFunction: [], differs: [] });
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
