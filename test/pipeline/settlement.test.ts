/**
 * settleJob: the fenced job update and the ledger settlement as one
 * statement — exactly one finisher wins, the charge never exceeds the hold,
 * and a settlement the ledger refuses leaves the job untouched.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { settleJob } from "../../src/jobs/store";
import { createUser } from "../../src/users/users";
import { createTestDb, type TestDb } from "../helpers/db";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

/** A user with credits and a queued job holding `held` of them (as submitJob leaves it). */
async function queuedJob(held: number, credits = 10): Promise<{ jobId: string; userId: string }> {
  const { user } = await createUser(db.ds.manager, { email: `${randomUUID()}@example.com` });
  await ledger.grant(db.ds.manager, { id: randomUUID(), userId: user.id, amount: credits, category: "admin" });
  const jobId = randomUUID();
  await db.ds.transaction(async (m) => {
    await m.query(
      `INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts)
       VALUES ($1, $2, 'test', '{}', 'standard', $3, $1, 3)`,
      [jobId, user.id, held],
    );
    await ledger.hold(m, { id: jobId, userId: user.id, amount: held, jobId });
  });
  return { jobId, userId: user.id };
}

async function job(id: string) {
  const rows: { status: string; credits_charged: string; credits_refunded: string }[] = await db.ds.query(
    `SELECT status, credits_charged, credits_refunded FROM jobs WHERE id = $1`, [id],
  );
  return rows[0]!;
}

it("charges at most the hold, releases the rest, and lets only the first finisher through", async () => {
  const { jobId, userId } = await queuedJob(4);
  const f = { jobId, attempt: null, from: ["queued" as const], status: "succeeded" as const, charge: 9, releaseType: "release" as const };
  expect(await settleJob(db.ds, f)).toEqual({ status: "succeeded", charged: 4, refunded: 0 });
  expect(await settleJob(db.ds, f)).toBeNull();
  expect(await settleJob(db.ds, { ...f, status: "failed", charge: 0, releaseType: "refund" })).toBeNull();
  expect(await job(jobId)).toEqual({ status: "succeeded", credits_charged: "4", credits_refunded: "0" });
  expect((await ledger.balances(db.ds.manager, userId)).available).toBe(6);
});

it("fences on the attempt: a stale worker's ending changes nothing", async () => {
  const { jobId } = await queuedJob(3);
  await db.ds.query(`UPDATE jobs SET status = 'running', attempt = 2 WHERE id = $1`, [jobId]);
  const stale = { jobId, attempt: 1, from: ["running" as const], status: "succeeded" as const, charge: 3, releaseType: "release" as const };
  expect(await settleJob(db.ds, stale)).toBeNull();
  expect(await settleJob(db.ds, { ...stale, attempt: 2, charge: 1 })).toEqual({ status: "succeeded", charged: 1, refunded: 2 });
});

it("expires the hold when asked (the reaper), as a refund", async () => {
  const { jobId, userId } = await queuedJob(5);
  const r = await settleJob(db.ds, {
    jobId, attempt: null, from: ["queued"], status: "failed", charge: 0, releaseType: "refund", expire: true,
    error: { type: "system", message: "lost" },
  });
  expect(r).toEqual({ status: "failed", charged: 0, refunded: 5 });
  const state: { state: string }[] = await db.ds.query(`SELECT state FROM ledger_pending WHERE transfer_id = $1`, [jobId]);
  expect(state[0]!.state).toBe("expired");
  expect((await ledger.balances(db.ds.manager, userId)).available).toBe(10);
});

it("leaves the job untouched when the ledger refuses the settlement", async () => {
  // A job whose hold reference is not a hold at all (a grant): ledger_settle answers not_found.
  const { user } = await createUser(db.ds.manager, { email: `${randomUUID()}@example.com` });
  const grantId = randomUUID();
  await ledger.grant(db.ds.manager, { id: grantId, userId: user.id, amount: 3, category: "admin" });
  const jobId = randomUUID();
  await db.ds.query(
    `INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts)
     VALUES ($1, $2, 'test', '{}', 'standard', 3, $3, 3)`,
    [jobId, user.id, grantId],
  );
  await expect(settleJob(db.ds, { jobId, attempt: null, from: ["queued"], status: "succeeded", charge: 1, releaseType: "release" }))
    .rejects.toThrow(/ledger_settle refused: not_found/);
  expect(await job(jobId)).toEqual({ status: "queued", credits_charged: "0", credits_refunded: "0" });
  await db.ds.query(`DELETE FROM jobs WHERE id = $1`, [jobId]);
});

it("keeps the job's credit columns true to the ledger if the hold was already resolved", async () => {
  const { jobId } = await queuedJob(4);
  await ledger.voidHold(db.ds.manager, { id: randomUUID(), pendingId: jobId, releaseType: "release" });
  expect(await settleJob(db.ds, { jobId, attempt: null, from: ["queued"], status: "succeeded", charge: 2, releaseType: "release" }))
    .toEqual({ status: "succeeded", charged: 0, refunded: 4 });
  expect(await job(jobId)).toEqual({ status: "succeeded", credits_charged: "0", credits_refunded: "4" });
});
