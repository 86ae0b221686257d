/**
 * The database itself refuses what would break the books, even for SQL that
 * bypasses the ledger functions: CHECK constraints (SQLSTATE 23514) keep user
 * accounts from going below zero and amounts positive, and a unique index
 * (23505) keeps a hold from being posted twice.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { createTestDb, type TestDb } from "../helpers/db";
import { fundedAccount } from "../helpers/ledger";

const CHECK_VIOLATION = "23514";
const UNIQUE_VIOLATION = "23505";
const INVALID_PARAMETER = "22023";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.close();
});

/** The SQLSTATE a statement failed with (the test fails if it succeeded). */
async function sqlState(m: EntityManager, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await m.query(sql, params);
  } catch (err) {
    return (err as { code?: string }).code ?? `no SQLSTATE: ${String(err)}`;
  }
  throw new Error(`statement succeeded but should have been refused: ${sql}`);
}

const funded = (amount: number) => fundedAccount(db.ds.manager, amount);

async function accountRow(accountId: string): Promise<Record<string, string>> {
  const rows: Record<string, string>[] = await db.ds.manager.query(
    `SELECT credits_posted, debits_posted, credits_pending, debits_pending FROM ledger_accounts WHERE id = $1`,
    [accountId],
  );
  return rows[0]!;
}

describe("CHECK constraints on user accounts", () => {
  it("refuses a direct UPDATE that would make a user account's available negative", async () => {
    const m = db.ds.manager;
    const { userId, accountId } = await funded(50);
    await ledger.hold(m, { id: randomUUID(), userId, amount: 20 });
    const before = await accountRow(accountId);

    // 30 available: 31 more posted debits would leave −1.
    expect(await sqlState(m, `UPDATE ledger_accounts SET debits_posted = debits_posted + 31 WHERE id = $1`, [accountId]))
      .toBe(CHECK_VIOLATION);
    expect(await sqlState(m, `UPDATE ledger_accounts SET debits_pending = debits_pending + 31 WHERE id = $1`, [accountId]))
      .toBe(CHECK_VIOLATION);
    expect(await sqlState(m, `UPDATE ledger_accounts SET credits_posted = credits_posted - 31 WHERE id = $1`, [accountId]))
      .toBe(CHECK_VIOLATION);
    // A user account never carries pending credits.
    expect(await sqlState(m, `UPDATE ledger_accounts SET credits_pending = 1 WHERE id = $1`, [accountId])).toBe(CHECK_VIOLATION);
    expect(await accountRow(accountId)).toEqual(before);

    // Exactly down to zero is allowed (and undone, so the books stay balanced).
    await m.transaction(async (tx) => {
      await tx.query(`UPDATE ledger_accounts SET debits_posted = debits_posted + 30 WHERE id = $1`, [accountId]);
      expect(await ledger.balances(tx, userId)).toMatchObject({ available: 0, held: 20, posted: 20 });
      await tx.query(`UPDATE ledger_accounts SET debits_posted = debits_posted - 30 WHERE id = $1`, [accountId]);
    });
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 30, held: 20, posted: 50 });
  });

  it("refuses negative account columns, even on system accounts", async () => {
    const m = db.ds.manager;
    const { accountId } = await funded(5);
    const [sys] = (await m.query(`SELECT id FROM ledger_accounts WHERE kind = 'system' LIMIT 1`)) as { id: string }[];
    for (const col of ["credits_posted", "debits_posted", "credits_pending", "debits_pending"]) {
      expect(await sqlState(m, `UPDATE ledger_accounts SET ${col} = -1 WHERE id = $1`, [accountId])).toBe(CHECK_VIOLATION);
      expect(await sqlState(m, `UPDATE ledger_accounts SET ${col} = -1 WHERE id = $1`, [sys!.id])).toBe(CHECK_VIOLATION);
    }
  });
});

describe("amounts", () => {
  it("refuses zero and negative transfer amounts in the table", async () => {
    const m = db.ds.manager;
    const { accountId } = await funded(5);
    const [sys] = (await m.query(`SELECT id FROM ledger_accounts WHERE kind = 'system' LIMIT 1`)) as { id: string }[];
    for (const amount of [0, -1, -100]) {
      expect(await sqlState(m,
        `INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type)
         VALUES ($1, 'plain', 'grant', $2, $3, $4, 'standard')`,
        [randomUUID(), sys!.id, accountId, amount],
      )).toBe(CHECK_VIOLATION);
    }
  });

  it("refuses lots and holds whose amounts are out of range", async () => {
    const m = db.ds.manager;
    const { userId } = await funded(40);
    const [lot] = (await m.query(
      `SELECT l.id, l.amount FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id WHERE a.user_id = $1`,
      [userId],
    )) as { id: string; amount: string }[];
    expect(await sqlState(m, `UPDATE ledger_lots SET remaining = -1 WHERE id = $1`, [lot!.id])).toBe(CHECK_VIOLATION);
    expect(await sqlState(m, `UPDATE ledger_lots SET remaining = amount + 1 WHERE id = $1`, [lot!.id])).toBe(CHECK_VIOLATION);

    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 10 });
    expect(await sqlState(m, `UPDATE ledger_pending SET posted_amount = -1 WHERE transfer_id = $1`, [holdId])).toBe(CHECK_VIOLATION);
    // Only a posted hold has a posted amount, and never more than it held.
    expect(await sqlState(m, `UPDATE ledger_pending SET posted_amount = 5 WHERE transfer_id = $1`, [holdId])).toBe(CHECK_VIOLATION);
    expect(await sqlState(m,
      `UPDATE ledger_pending SET state = 'posted', posted_amount = 11, resolved_at = now() WHERE transfer_id = $1`, [holdId],
    )).toBe(CHECK_VIOLATION);
    await ledger.voidHold(m, { id: randomUUID(), pendingId: holdId });
  });

  it("the ledger functions refuse non-positive amounts with SQLSTATE 22023 and change nothing", async () => {
    const m = db.ds.manager;
    const { userId, accountId } = await funded(30);
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 10 });
    const before = await accountRow(accountId);
    const calls: [string, unknown[]][] = [
      [`SELECT * FROM ledger_hold($1, $2, -5, NULL, NULL, NULL)`, [randomUUID(), accountId]],
      [`SELECT * FROM ledger_hold($1, $2, 0, NULL, NULL, NULL)`, [randomUUID(), accountId]],
      [`SELECT * FROM ledger_grant($1, $2, -5, 'grant', 'issuance', 'admin', 30, NULL, NULL, NULL)`, [randomUUID(), accountId]],
      [`SELECT * FROM ledger_debit($1, $2, -5, 'adjustment', 'adjustment', NULL, NULL)`, [randomUUID(), accountId]],
      [`SELECT * FROM ledger_settle($1, $2, -1, 'release', 'voided', NULL)`, [randomUUID(), holdId]],
      [`SELECT * FROM ledger_hold_many($1::uuid[], $2, ARRAY[3, -1]::bigint[], NULL, ARRAY[NULL, NULL]::uuid[], NULL)`,
        [[randomUUID(), randomUUID()], accountId]],
    ];
    for (const [sql, params] of calls) expect(await sqlState(m, sql, params), sql).toBe(INVALID_PARAMETER);
    expect(await accountRow(accountId)).toEqual(before);

    // The TypeScript wrappers refuse them before any SQL runs.
    await expect(ledger.hold(m, { id: randomUUID(), userId, amount: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(ledger.hold(m, { id: randomUUID(), userId, amount: 1.5 })).rejects.toBeInstanceOf(RangeError);
    await expect(ledger.grant(m, { id: randomUUID(), userId, amount: 0, category: "admin" })).rejects.toBeInstanceOf(RangeError);
    await expect(ledger.post(m, { id: randomUUID(), pendingId: holdId, amount: -2 })).rejects.toBeInstanceOf(RangeError);
    await expect(ledger.adjust(m, { id: randomUUID(), userId, amount: 0, description: "x" })).rejects.toBeInstanceOf(RangeError);
    expect(await accountRow(accountId)).toEqual(before);
  });
});

describe("a pending transfer resolves at most once", () => {
  it("refuses a second post row (and a second void row) for the same pending transfer", async () => {
    const m = db.ds.manager;
    const { userId, accountId } = await funded(100);
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 30 });
    const postId = randomUUID();
    expect(await ledger.post(m, { id: postId, pendingId: holdId, amount: 10 })).toMatchObject({ status: "created" });
    const [hold] = (await m.query(`SELECT credit_account_id FROM ledger_transfers WHERE id = $1`, [holdId])) as { credit_account_id: string }[];

    for (const [kind, type] of [["post", "charge"], ["void", "release"]] as const) {
      const err = await m.query(
        `INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, pending_id)
         VALUES ($1, $2, $3, $4, $5, 5, 'standard', $6)`,
        [randomUUID(), kind, type, accountId, hold!.credit_account_id, holdId],
      ).then(() => null, (e: { code?: string; constraint?: string }) => e);
      expect(err, kind).toMatchObject({ code: UNIQUE_VIOLATION, constraint: "ledger_transfers_resolution_key" });
    }
    const rows: { kind: string; amount: string }[] = await m.query(
      `SELECT kind, amount FROM ledger_transfers WHERE pending_id = $1 ORDER BY kind`, [holdId],
    );
    expect(rows).toEqual([{ kind: "post", amount: "10" }, { kind: "void", amount: "20" }]);
  });

  it("refuses post/void rows without a pending id, and plain rows with one", async () => {
    const m = db.ds.manager;
    const { accountId } = await funded(10);
    const [sys] = (await m.query(`SELECT id FROM ledger_accounts WHERE kind = 'system' LIMIT 1`)) as { id: string }[];
    expect(await sqlState(m,
      `INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type)
       VALUES ($1, 'post', 'charge', $2, $3, 1, 'standard')`,
      [randomUUID(), accountId, sys!.id],
    )).toBe(CHECK_VIOLATION);
    const [hold] = (await m.query(`SELECT id FROM ledger_transfers WHERE kind = 'pending' LIMIT 1`)) as { id: string }[];
    expect(await sqlState(m,
      `INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, pending_id)
       VALUES ($1, 'plain', 'grant', $2, $3, 1, 'standard', $4)`,
      [randomUUID(), sys!.id, accountId, hold!.id],
    )).toBe(CHECK_VIOLATION);
  });
});

describe("every rule names its constraint", () => {
  /** The constraint a statement violated (the test fails if it succeeded). */
  async function violated(m: EntityManager, sql: string, params: unknown[] = []): Promise<string | undefined> {
    const err = await m.query(sql, params).then(() => null, (e: { code?: string; constraint?: string }) => e);
    expect(err, sql).toMatchObject({ code: CHECK_VIOLATION });
    return err!.constraint;
  }

  it("accounts, transfers, holds, lots and jobs report the rule they break", async () => {
    const m = db.ds.manager;
    const { userId, accountId } = await funded(20);
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 5 });

    expect(await violated(m, `UPDATE ledger_accounts SET debits_posted = debits_posted + 16 WHERE id = $1`, [accountId]))
      .toBe("ledger_accounts_not_negative");
    expect(await violated(m,
      `INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type)
       VALUES ($1, 'plain', 'grant', $2, $2, 1, 'standard')`,
      [randomUUID(), accountId],
    )).toBe("ledger_transfers_shape");
    // A resolved hold carries when it was resolved, and a pending one does not.
    expect(await violated(m, `UPDATE ledger_pending SET state = 'voided' WHERE transfer_id = $1`, [holdId]))
      .toBe("ledger_pending_consistent");
    expect(await violated(m, `UPDATE ledger_pending SET resolved_at = now() WHERE transfer_id = $1`, [holdId]))
      .toBe("ledger_pending_consistent");
    expect(await violated(m, `UPDATE ledger_lots SET remaining = -1 WHERE account_id = $1`, [accountId]))
      .toBe("ledger_lots_check");

    const jobId = randomUUID();
    await m.query(
      `INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated) VALUES ($1, $2, 'noop', '{}', 'standard', 5)`,
      [jobId, userId],
    );
    for (const set of [
      `credits_charged = 4, credits_refunded = 2`, // more than was estimated
      `status = 'succeeded'`, // finished without finished_at
      `finished_at = now()`, // finished_at on a live job
      `progress = 101`,
      `attempt = -1`,
    ]) {
      expect(await violated(m, `UPDATE jobs SET ${set} WHERE id = $1`, [jobId]), set).toBe("jobs_consistent");
    }
    await m.query(`UPDATE jobs SET status = 'succeeded', finished_at = now(), credits_charged = 5 WHERE id = $1`, [jobId]);
    await ledger.voidHold(m, { id: randomUUID(), pendingId: holdId });
  });
});
