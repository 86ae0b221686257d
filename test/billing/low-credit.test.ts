/**
 * Low-credit alerts: one email per crossing below the threshold even when
 * spending and checks race; re-armed by a top-up, not by a refund.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLowCredit } from "../../src/billing/low-credit";
import { lowCreditTask } from "../../src/billing/tasks/low-credit";
import * as ledger from "../../src/ledger";
import { waitFor } from "../helpers/platform";
import { type BillingBed, emailOf, startBillingBed, waitForMail } from "./harness";

let bed: BillingBed;
beforeAll(async () => {
  bed = await startBillingBed({ stripe: false });
});
afterAll(async () => {
  await bed?.close();
});

async function alerts(userId: string): Promise<number> {
  const rows = await bed.q<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND kind = 'low_credit'`, [userId]);
  return rows[0]!.n;
}

async function runJobs(key: string, inputs: object[]): Promise<string[]> {
  const subs = await Promise.all(inputs.map((input) => bed.p.api(key, "POST", "/api/v1/jobs", { kind: "test", input })));
  for (const s of subs) expect(s.status, JSON.stringify(s.body)).toBe(202);
  const ids = subs.map((s) => s.body.id as string);
  await waitFor(async () => {
    const rows = await bed.q<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY ($1) AND finished_at IS NOT NULL`, [ids]);
    return rows[0]!.n === ids.length ? true : null;
  }, { what: "jobs finished" });
  return ids;
}

/** Checks racing each other (the scheduler's task and the per-user hook) until `until` settles. */
async function raceChecks(userId: string, until: Promise<unknown>): Promise<void> {
  let done = false;
  void until.finally(() => (done = true));
  const task = lowCreditTask();
  while (!done) {
    await Promise.all([
      task.run(bed.p.ctx, new Date()),
      task.run(bed.p.ctx, new Date()),
      checkLowCredit(bed.p.ctx, { now: new Date(), userId }),
      checkLowCredit(bed.p.ctx, { now: new Date(), userId }),
    ]);
  }
  await Promise.all(Array.from({ length: 6 }, () => checkLowCredit(bed.p.ctx, { now: new Date(), userId })));
}

describe("low-credit alerts", () => {
  it("concurrent spending that crosses the threshold sends exactly one email; a top-up re-arms it", async () => {
    const u = await bed.p.user({ credits: 100 }); // threshold: 10% of the last grant = 10
    const email = await emailOf(bed, u.id);
    await checkLowCredit(bed.p.ctx, { now: new Date(), userId: u.id });

    // 19 jobs of 5 credits, run concurrently, while checks race: 100 → 5.
    await raceChecks(u.id, runJobs(u.key, Array.from({ length: 19 }, () => ({ cost: 5, ms: 20 }))));
    expect((await bed.balance(u.id)).available).toBe(5);
    expect(await alerts(u.id)).toBe(1);
    const mails = await waitForMail(bed, email, "low_credit");
    expect(mails[0]!.subject).toBe("Your Holdfast balance is low: 5 credits left");
    expect(mails[0]!.text).toContain("below your alert threshold of 10");

    // Still low, more checks: nothing more.
    await raceChecks(u.id, runJobs(u.key, [{ cost: 1 }]));
    expect(await alerts(u.id)).toBe(1);

    // A top-up re-arms; the next crossing sends the second email.
    await ledger.grant(bed.p.ctx.ds.manager, { id: randomUUID(), userId: u.id, amount: 200, category: "admin" });
    await checkLowCredit(bed.p.ctx, { now: new Date(), userId: u.id });
    await raceChecks(u.id, runJobs(u.key, Array.from({ length: 10 }, () => ({ cost: 19, ms: 10 })))); // 204 → 14 (< 20)
    expect((await bed.balance(u.id)).available).toBe(14);
    expect(await alerts(u.id)).toBe(2);
    await waitForMail(bed, email, "low_credit", 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(bed.smtp.to(email, "low_credit")).toHaveLength(2);
  });

  it("a per-user threshold; a refund that lifts the balance back does not re-arm (only a top-up does)", async () => {
    const u = await bed.p.user({ credits: 100 });
    const bad = await bed.p.api(u.key, "PUT", "/api/v1/credits/low-credit-alert", { threshold: -1 });
    expect(bad.status).toBe(400);
    const set = await bed.p.api(u.key, "PUT", "/api/v1/credits/low-credit-alert", { threshold: 50 });
    expect(set.body).toEqual({ threshold: 50, default_threshold: 10, effective_threshold: 50 });
    expect((await bed.p.api(u.key, "GET", "/api/v1/credits/low-credit-alert")).body.effective_threshold).toBe(50);
    await checkLowCredit(bed.p.ctx, { now: new Date(), userId: u.id });

    // A 60-credit job that fails on the platform's side: held (40 available → alert), then refunded (100).
    const job = bed.p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 60, ms: 400, fail: "system" } });
    await waitFor(async () => ((await bed.balance(u.id)).held === 60 ? true : null), { what: "hold placed" });
    await checkLowCredit(bed.p.ctx, { now: new Date(), userId: u.id });
    expect(await alerts(u.id)).toBe(1);
    const id = (await job).body.id as string;
    await waitFor(async () => ((await bed.p.api(u.key, "GET", `/api/v1/jobs/${id}`)).body.status === "failed" ? true : null), { what: "job refunded" });
    expect((await bed.balance(u.id)).available).toBe(100);
    await checkLowCredit(bed.p.ctx, { now: new Date(), userId: u.id });
    // Below again without a top-up in between: no second email.
    await runJobs(u.key, [{ cost: 60 }]);
    await checkLowCredit(bed.p.ctx, { now: new Date(), userId: u.id });
    expect(await alerts(u.id)).toBe(1);
    const mails = await waitForMail(bed, await emailOf(bed, u.id), "low_credit");
    expect(mails[0]!.text).toContain("below your alert threshold of 50");
  });

  it("a user who never had a balance above the threshold gets no alert", async () => {
    const u = await bed.p.user({ credits: 5 });
    await checkLowCredit(bed.p.ctx, { now: new Date(), userId: u.id });
    await lowCreditTask().run(bed.p.ctx, new Date());
    expect(await alerts(u.id)).toBe(0);
  });
});
