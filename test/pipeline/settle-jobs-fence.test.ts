/**
 * settleJobs (src/jobs/settlement.ts) must map the statement's rows back to
 * items by position, not by job id (both failed when it went by job id):
 *
 * 1. The same job twice in one batch — a stale claim's ending (attempt 1) and
 *    the current claim's (attempt 2), e.g. a stalled job redelivered to this
 *    worker while the first run still goes — the attempt fence rightly lets
 *    only attempt 2 update the row, but BOTH items get the Settled result; the
 *    stale one should be null, as settleJob gives it. The worker then
 *    publishes the stale run's status (here "failed") for a job that succeeded.
 * 2. A job id in upper case: the job is settled, but its item comes back null
 *    (PostgreSQL returns uuids in lower case), where settleJob returns the
 *    Settled result — and the credit-column correction for an already
 *    resolved hold is skipped.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { settleJob, settleJobs } from "../../src/jobs/store";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { createTestDb, type TestDb } from "../helpers/db";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

async function runningJob(held: number, attempt: number): Promise<string> {
  const { user } = await createUser(db.ds.manager, { email: `${randomUUID()}@example.com` });
  await ledger.grant(db.ds.manager, { id: randomUUID(), userId: user.id, amount: 20, category: "admin" });
  const jobId = randomUUID();
  await db.ds.transaction(async (m) => {
    await m.query(
      `INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts, status, attempt)
       VALUES ($1, $2, 'test', '{}', 'standard', $3, $1, 3, 'running', $4)`,
      [jobId, user.id, held, attempt],
    );
    await ledger.hold(m, { id: jobId, userId: user.id, amount: held, jobId });
  });
  return jobId;
}

it("a stale attempt's ending batched with the current one's for the same job is null, as settleJob gives it", async () => {
  const jobId = await runningJob(4, 2);
  const twin = await runningJob(4, 2);
  const stale = { attempt: 1, status: "failed" as const, charge: 0, releaseType: "refund" as const, error: { type: "system" as const, message: "stalled" } };
  const current = { attempt: 2, status: "succeeded" as const, charge: 3, releaseType: "release" as const };

  const out = await settleJobs(db.ds, ["running"], [{ jobId, ...stale }, { jobId, ...current }]);
  const one = [
    await settleJob(db.ds, { jobId: twin, from: ["running"], ...stale }),
    await settleJob(db.ds, { jobId: twin, from: ["running"], ...current }),
  ];
  expect(one).toEqual([null, { status: "succeeded", charged: 3, refunded: 1 }]);
  // Today: [{ status: "failed", charged: 3, refunded: 1 }, { status: "succeeded", charged: 3, refunded: 1 }].
  expect(out).toEqual(one);
});

it("an upper-case job id: settled, and reported as settleJob reports it", async () => {
  const a = await runningJob(4, 1);
  const b = await runningJob(5, 1);
  const twin = await runningJob(4, 1);
  const item = { attempt: 1, status: "succeeded" as const, charge: 2, releaseType: "release" as const };
  const single = await settleJob(db.ds, { jobId: twin.toUpperCase(), from: ["running"], ...item });
  expect(single).toEqual({ status: "succeeded", charged: 2, refunded: 2 });
  const out = await settleJobs(db.ds, ["running"], [{ jobId: a.toUpperCase(), ...item }, { jobId: b, ...item }]);
  const [row] = (await db.ds.query(`SELECT status FROM jobs WHERE id = $1`, [a])) as [{ status: string }];
  expect(row.status).toBe("succeeded"); // it was settled...
  // ...but today its item is null.
  expect(out).toEqual([single, { status: "succeeded", charged: 2, refunded: 3 }]);
});
