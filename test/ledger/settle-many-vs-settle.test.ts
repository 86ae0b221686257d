/**
 * ledger_settle_many and a single ledger_settle (ledger.post / voidHold /
 * expirePending) resolving the SAME hold at once must not deadlock (they did,
 * 40P01, before ledger_settle_many locked the pending rows first).
 *
 * ledger_settle writes first: it locks the hold's ledger_pending row (the
 * conditional UPDATE), then the user account, then the system account.
 * ledger_settle_many used to lock the accounts first (users, then systems) and
 * only then, inside ledger_settle, the pending row: the two took the pending
 * row and the user account in opposite orders. Now it locks the pending rows
 * first, as ledger_settle does.
 *
 * Deterministic: a blocker holds the hold's system stripe, so settle_many
 * gets the user account and waits; ledger.post then takes the pending row and
 * waits for the user account; the blocker lets go; settle_many wanted the
 * pending row → cycle.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager, QueryRunner } from "typeorm";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { waitForLockWaiters } from "../helpers/barrier";
import { createTestDb, type TestDb } from "../helpers/db";

let db: TestDb;
let m: EntityManager;
let conns: QueryRunner[];
beforeAll(async () => {
  db = await createTestDb({ poolSize: 8 });
  m = db.ds.manager;
  conns = await Promise.all([0, 1].map(async () => {
    const qr = db.ds.createQueryRunner();
    await qr.connect();
    return qr;
  }));
});
afterAll(async () => {
  for (const qr of conns ?? []) await qr.release();
  await db.close();
});

it("settle_many and ledger.post on the same hold: one resolves it, the other is told already_posted — no deadlock", async () => {
  const { user } = await createUser(m, { email: `${randomUUID()}@example.com` });
  await ledger.grant(m, { id: randomUUID(), userId: user.id, amount: 10, category: "purchase" });
  const hold = randomUUID();
  await ledger.hold(m, { id: hold, userId: user.id, amount: 5 });
  const [t] = (await m.query(`SELECT credit_account_id FROM ledger_transfers WHERE id = $1`, [hold])) as [{ credit_account_id: string }];

  const blocker = db.ds.createQueryRunner();
  await blocker.connect();
  await blocker.startTransaction();
  await blocker.query(`SELECT 1 FROM ledger_accounts WHERE id = $1 FOR NO KEY UPDATE`, [t.credit_account_id]);
  const many = conns[0]!.query(
    `SELECT status FROM ledger_settle_many($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[])`,
    [[randomUUID()], [hold], [5], ["release"], ["voided"], [null]],
  ) as Promise<{ status: string }[]>;
  await waitForLockWaiters(db.ds, 1); // settle_many holds the user account, waits for the stripe
  const single = ledger.post(conns[1]!.manager, { id: randomUUID(), pendingId: hold, amount: 5 });
  await waitForLockWaiters(db.ds, 2); // post holds the pending row, waits for the user account
  await blocker.commitTransaction();
  await blocker.release();

  const rs = await Promise.allSettled([many.then((r) => r[0]!.status), single.then((r) => r.status)]);
  const got = rs.map((r) => (r.status === "fulfilled" ? r.value : `rejected ${(r.reason as { code?: string }).code}`));
  // Today: one side is "rejected 40P01" (deadlock detected).
  expect(got.sort()).toEqual(["already_posted", "created"]);
  expect(await ledger.balances(m, user.id)).toMatchObject({ available: 5, held: 0, posted: 5 });
});
