/**
 * Plan credits expire with their period through the lot-expiry task; jobs
 * burn them before purchased credits; and expiry never takes what a pending
 * hold placed before the expiry still needs. (Credits already past their
 * expiry back no new hold: test/api/expired-lots-admission.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lotExpiryTask } from "../../src/billing/tasks/lot-expiry";
import { waitFor } from "../helpers/platform";
import { type BillingBed, startBillingBed } from "./harness";

let bed: BillingBed;
let admin: { id: string; key: string };
beforeAll(async () => {
  bed = await startBillingBed();
  admin = await bed.p.user({ role: "admin" });
});
afterAll(async () => {
  await bed?.close();
});

async function lotsOf(userId: string) {
  return bed.q<{ category: string; amount: string; remaining: string }>(
    `SELECT l.category, l.amount, l.remaining FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id
      WHERE a.user_id = $1 ORDER BY l.priority, l.created_at`,
    [userId],
  );
}

/** A user with a Starter plan assigned at `assignedAt` (200 subscription credits) and 100 purchased through Stripe. */
async function planAndPurchase(assignedAt: Date) {
  const u = await bed.p.user();
  bed.clock.set(assignedAt);
  expect((await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${u.id}/plan`, { package_id: "starter" })).status).toBe(201);
  bed.clock.set(new Date());
  const buy = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100 });
  await bed.send(...bed.stripe.completeCheckout(buy.body.session_id));
  expect((await bed.balance(u.id)).available).toBe(300);
  return u;
}

/**
 * The plan's credits expire right after the job's hold was placed (its period ended while the job waited):
 * the hold was admitted while they were live, so it may still burn them.
 */
async function planExpiresAfterHold(userId: string, jobId: string) {
  await bed.q(
    `UPDATE ledger_lots l SET expires_at = (SELECT created_at + interval '1 millisecond' FROM ledger_transfers WHERE id = $2)
       FROM ledger_accounts a WHERE a.id = l.account_id AND a.user_id = $1 AND l.category = 'subscription'`,
    [userId, jobId],
  );
}

async function finished(key: string, id: string) {
  return waitFor(async () => {
    const j = await bed.p.api(key, "GET", `/api/v1/jobs/${id}`);
    return ["succeeded", "failed"].includes(j.body.status) ? j.body : null;
  }, { what: `job ${id} finished` });
}

describe("expiring credits", () => {
  it("jobs burn the expiring subscription credits before purchased ones", async () => {
    const u = await planAndPurchase(new Date());
    const j = await bed.p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 30 } });
    await finished(u.key, j.body.id);
    expect(await lotsOf(u.id)).toEqual([
      { category: "subscription", amount: "200", remaining: "170" },
      { category: "purchase", amount: "100", remaining: "100" },
    ]);
  });

  it("expiry never takes credits a pending hold needs; the rest expires, purchased credits stay", async () => {
    // The plan's period ends while the job waits; its 200 credits are due to expire.
    const u = await planAndPurchase(new Date());
    const j = await bed.p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 250, use: 200, ms: 1500 } });
    expect(j.status).toBe(202);
    await planExpiresAfterHold(u.id, j.body.id);
    expect(await bed.balance(u.id)).toMatchObject({ posted: 300, held: 250, available: 50 });

    // The hold (250) may burn all of the plan's due lot (200) — holds burn expired
    // credits first — so none of it may expire yet; purchased credits never expire.
    await lotExpiryTask().run(bed.p.ctx, new Date());
    expect(await bed.balance(u.id)).toMatchObject({ posted: 300, held: 250, available: 50 });

    const done = await finished(u.key, j.body.id);
    expect(done).toMatchObject({ status: "succeeded", credits: { charged: 200, refunded: 50 } });
    // The charge burnt the plan's expired lot first; the purchased credits are untouched.
    expect(await lotsOf(u.id)).toEqual([
      { category: "subscription", amount: "200", remaining: "0" },
      { category: "purchase", amount: "100", remaining: "100" },
    ]);
    await lotExpiryTask().run(bed.p.ctx, new Date());
    expect(await bed.balance(u.id)).toMatchObject({ posted: 100, held: 0, available: 100 });
    const expired = await bed.q<{ amount: string }>(`SELECT amount FROM ledger_transfers WHERE user_id = $1 AND type = 'expire'`, [u.id]);
    expect(expired).toEqual([]);
  });

  it("what a resolved hold did not use of a due lot expires on the next run", async () => {
    const u = await planAndPurchase(new Date());
    const j = await bed.p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 250, use: 30, ms: 1500 } });
    expect(j.status).toBe(202);
    await planExpiresAfterHold(u.id, j.body.id);
    await lotExpiryTask().run(bed.p.ctx, new Date());
    expect(await bed.balance(u.id)).toMatchObject({ posted: 300, held: 250 });
    expect(await finished(u.key, j.body.id)).toMatchObject({ status: "succeeded", credits: { charged: 30, refunded: 220 } });
    await lotExpiryTask().run(bed.p.ctx, new Date());
    // 200 − 30 used by the job expire; the 100 purchased stay.
    expect(await bed.balance(u.id)).toMatchObject({ posted: 100, held: 0, available: 100 });
    expect(await lotsOf(u.id)).toEqual([
      { category: "subscription", amount: "200", remaining: "0" },
      { category: "purchase", amount: "100", remaining: "100" },
    ]);
  });
});
