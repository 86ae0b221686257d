/**
 * `npm run ledger:check` as an operator runs it: a child process over a
 * database URL. Exit 0 on clean books; exit 1 after a deliberate corruption,
 * naming the account / lot / hold with what was expected and what was found.
 * Each corruption is undone afterwards, so the file still ends balanced.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { createTestDb, type TestDb } from "../helpers/db";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

let db: TestDb;
let userId: string;
let accountId: string;
let lotId: string;
let openHoldId: string;

beforeAll(async () => {
  db = await createTestDb();
  const m = db.ds.manager;
  ({ user: { id: userId } } = await createUser(m, { email: `check-${randomUUID()}@example.com` }));
  const g = await ledger.grant(m, { id: randomUUID(), userId, amount: 100, category: "purchase" });
  ({ lotId, accountId } = g);
  const h = randomUUID();
  await ledger.hold(m, { id: h, userId, amount: 30 });
  await ledger.post(m, { id: randomUUID(), pendingId: h, amount: 20 });
  openHoldId = randomUUID();
  await ledger.hold(m, { id: openHoldId, userId, amount: 15 });
});
afterAll(async () => {
  await db.close();
});

function ledgerCheck(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ["scripts/ledger-check.ts", db.url], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function exec(sql: string, params: unknown[]): Promise<void> {
  await db.ds.manager.query(sql, params);
}

describe("ledger:check", () => {
  it("exits 0 on a clean database", async () => {
    const r = await ledgerCheck();
    expect(r.out).toContain("OK: every invariant holds.");
    expect(r.code).toBe(0);
  });

  it("exits 1 and names the account when its credits_posted was bumped", async () => {
    await exec(`UPDATE ledger_accounts SET credits_posted = credits_posted + 7 WHERE id = $1`, [accountId]);
    try {
      const r = await ledgerCheck();
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain("FAILED");
      // The zero-sum rule sees the 7 appear from nowhere…
      expect(r.out).toMatch(/\[zero-sum of posted credits and debits over all accounts\] all accounts: expected 0, found 7/);
      // …and the per-account rule names the account with both sides.
      expect(r.out).toContain(
        `account ${accountId} (user ${userId}, standard): expected credits_posted=100 debits_posted=20 credits_pending=0 debits_pending=15, ` +
          `found credits_posted=107 debits_posted=20 credits_pending=0 debits_pending=15`,
      );
      expect(r.out).toContain(`account ${accountId} (user ${userId}, standard): expected lots remaining 87, found lots remaining 80`);
    } finally {
      await exec(`UPDATE ledger_accounts SET credits_posted = credits_posted - 7 WHERE id = $1`, [accountId]);
    }
    expect((await ledgerCheck()).code).toBe(0);
  });

  it("exits 1 and names the lot when its remainder was changed", async () => {
    await exec(`UPDATE ledger_lots SET remaining = remaining - 3 WHERE id = $1`, [lotId]);
    try {
      const r = await ledgerCheck();
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain(`[each lot's remainder equals its amount less what was burnt from it] lot ${lotId}: expected remaining 80, found remaining 77`);
      expect(r.out).toContain(`account ${accountId} (user ${userId}, standard): expected lots remaining 80, found lots remaining 77`);
    } finally {
      await exec(`UPDATE ledger_lots SET remaining = remaining + 3 WHERE id = $1`, [lotId]);
    }
    expect((await ledgerCheck()).code).toBe(0);
  });

  it("exits 1 and names the hold when it was marked resolved without any transfer", async () => {
    await exec(`UPDATE ledger_pending SET state = 'voided', resolved_at = now() WHERE transfer_id = $1`, [openHoldId]);
    try {
      const r = await ledgerCheck();
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain(`hold ${openHoldId} (voided): expected post 0 + release 15 = 15, found 0 post(s) of 0, 0 release(s) of 0`);
      // The account still carries the 15 pending that no open hold explains.
      expect(r.out).toContain(`account ${accountId} (user ${userId}, standard): expected credits_posted=100 debits_posted=20 credits_pending=0 debits_pending=0`);
    } finally {
      await exec(`UPDATE ledger_pending SET state = 'pending', resolved_at = NULL WHERE transfer_id = $1`, [openHoldId]);
    }
    expect((await ledgerCheck()).code).toBe(0);
  });
});
