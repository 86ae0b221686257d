/**
 * Subscriptions through Stripe: checkout, period grants on paid invoices,
 * expiry of the previous period, upgrades (prorated, at once), downgrades and
 * cancellations (at the period's end), payment failures, events out of order,
 * and the scheduler's reconciliation when a renewal event never comes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lotExpiryTask } from "../../src/billing/tasks/lot-expiry";
import { stripeReconcileTask } from "../../src/billing/tasks/stripe-reconcile";
import { PERIOD_S } from "../helpers/fake-stripe";
import { type BillingBed, resetClocks, emailOf, startBillingBed, type Subscribed, subscribed as subscribedIn, waitForMail } from "./harness";

let bed: BillingBed;
beforeAll(async () => {
  bed = await startBillingBed();
});
afterAll(async () => {
  await bed?.close();
});

/** A user subscribed to `plan` through Checkout, all events delivered. */
const subscribed = (plan: string): Promise<Subscribed> => subscribedIn(bed, plan);

async function mySubscription(s: Subscribed) {
  const r = await bed.p.api(s.user.key, "GET", "/api/v1/subscriptions");
  expect(r.status).toBe(200);
  return r.body.data.find((x: { id: string }) => x.id === s.localId);
}

async function lots(userId: string) {
  return bed.q<{ category: string; amount: string; remaining: string; expires_at: Date | null }>(
    `SELECT l.category, l.amount, l.remaining, l.expires_at FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id
      WHERE a.user_id = $1 ORDER BY l.created_at, l.id`,
    [userId],
  );
}

/** Spend `n` credits through a real job. */
async function spend(user: { key: string }, n: number) {
  const r = await bed.p.api(user.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: n } });
  expect(r.status).toBe(202);
  for (let i = 0; i < 200; i++) {
    const j = await bed.p.api(user.key, "GET", `/api/v1/jobs/${r.body.id}`);
    if (j.body.status === "succeeded") return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("job did not finish");
}

describe("subscribing", () => {
  it("created → the first period is granted once, as a subscription lot expiring at the period's end", async () => {
    const s = await subscribed("starter");
    const sub = bed.stripe.subscriptions.get(s.subId)!;
    const end = new Date(sub.items.data[0].current_period_end * 1000);
    expect(await mySubscription(s)).toMatchObject({
      status: "active", source: "stripe", package: { code: "starter" }, pending_package: null, cancel_at_period_end: false,
      current_period_end: end.toISOString(), credits_granted_this_period: 200,
    });
    expect(await lots(s.user.id)).toEqual([{ category: "subscription", amount: "200", remaining: "200", expires_at: end }]);
    // The checkout created a Stripe customer and used the plan's recurring price.
    const call = bed.stripe.calls(/^\/v1\/checkout\/sessions$/, "POST").at(-1)!;
    expect(call.body).toMatchObject({ mode: "subscription", subscription_data: { metadata: { user_id: s.user.id } } });
    expect(bed.stripe.prices.get(call.body.line_items[0].price)).toMatchObject({ unit_amount: 1999, recurring: { interval: "month" } });
    await waitForMail(bed, await emailOf(bed, s.user.id), "subscription_receipt");

    // Every event again (Stripe retries): nothing more.
    const inv = bed.stripe.invoices.get(sub.latest_invoice)!;
    await bed.send(bed.stripe.event("invoice.paid", inv), bed.stripe.event("customer.subscription.updated", sub));
    expect((await bed.balance(s.user.id)).available).toBe(200);
  });

  it("refuses a second subscription to the plan it is on", async () => {
    const s = await subscribed("starter");
    const r = await bed.p.api(s.user.key, "POST", "/api/v1/subscriptions", { package_id: "starter" });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("invalid_state");
    const bad = await bed.p.api(s.user.key, "POST", "/api/v1/subscriptions", { package_id: "platinum" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe("package_id");
  });
});

describe("renewals", () => {
  it("invoice.paid for the next period is granted once; the previous period's unspent credits expire", async () => {
    const s = await subscribed("starter");
    await spend(s.user, 50);
    const firstEnd = new Date(bed.stripe.subscriptions.get(s.subId)!.items.data[0].current_period_end * 1000);
    const renewal = bed.stripe.renew(s.subId);
    await bed.send(renewal.updated, renewal.invoice, renewal.invoice);
    expect((await bed.balance(s.user.id)).available).toBe(150 + 200);
    expect((await mySubscription(s)).current_period_start).toBe(firstEnd.toISOString());

    // (Other tests' users share this database: look at this user's balance, not the task's totals.)
    const expiry = lotExpiryTask();
    await expiry.run(bed.p.ctx, new Date(firstEnd.getTime() - 1000));
    expect((await bed.balance(s.user.id)).available).toBe(350);
    await expiry.run(bed.p.ctx, firstEnd);
    expect((await bed.balance(s.user.id)).available).toBe(200);
    expect(await expiry.run(bed.p.ctx, firstEnd)).toMatchObject({ lots: 0, expired: 0 });
    expect((await bed.balance(s.user.id)).available).toBe(200);
    const tx = await bed.p.api(s.user.key, "GET", "/api/v1/credits/transactions?type=expire");
    expect(tx.body.data.map((t: { amount: number }) => t.amount)).toEqual([150]);
  });

  it("payment failure → past_due and an email, no credits; paying later grants the period", async () => {
    const s = await subscribed("starter");
    const email = await emailOf(bed, s.user.id);
    const failed = bed.stripe.renew(s.subId, { paid: false });
    await bed.send(failed.updated, failed.invoice);
    expect(await mySubscription(s)).toMatchObject({ status: "past_due", credits_granted_this_period: 0 });
    expect((await bed.balance(s.user.id)).available).toBe(200);
    const mails = await waitForMail(bed, email, "payment_failed");
    expect(mails[0]!.subject).toBe("Payment failed for your Starter plan");
    expect(mails[0]!.text).toContain("$19.99");

    await bed.send(bed.stripe.payInvoice(failed.invoiceObj.id));
    expect(await mySubscription(s)).toMatchObject({ status: "active", credits_granted_this_period: 200 });
    expect((await bed.balance(s.user.id)).available).toBe(400);
  });

  it("a renewal whose events never arrive is reconciled by the scheduler, once", async () => {
    const s = await subscribed("starter");
    const renewal = bed.stripe.renew(s.subId); // Stripe renewed and was paid; no webhook reaches us
    const periodEnd = new Date(renewal.sub.items.data[0].current_period_start * 1000);
    const task = stripeReconcileTask();
    // Within the grace period nothing is overdue.
    await task.run(bed.p.ctx, new Date(periodEnd.getTime() + 60_000));
    expect((await bed.balance(s.user.id)).available).toBe(200);
    const later = new Date(periodEnd.getTime() + 3 * 3600_000);
    expect(await task.run(bed.p.ctx, later)).toMatchObject({ granted: 1, failed: 0 });
    expect((await bed.balance(s.user.id)).available).toBe(400);
    expect(await task.run(bed.p.ctx, later)).toMatchObject({ granted: 0 });
    expect((await bed.balance(s.user.id)).available).toBe(400);
    // The late webhook grants nothing more.
    await bed.send(renewal.invoice);
    expect((await bed.balance(s.user.id)).available).toBe(400);
  });
});

describe("plan changes", () => {
  it("an upgrade mid-period grants the prorated difference at once; its webhooks grant nothing more", async () => {
    const s = await subscribed("starter");
    const item = bed.stripe.subscriptions.get(s.subId)!.items.data[0];
    // Half of the period left, on both clocks.
    const mid = item.current_period_start + PERIOD_S / 2;
    bed.stripe.now = mid;
    bed.clock.set(new Date(mid * 1000));
    const r = await bed.p.api(s.user.key, "POST", "/api/v1/subscriptions", { package_id: "professional" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ action: "upgraded", subscription: { package: { code: "professional" }, credits_granted_this_period: 400 } });
    // (600 − 200) × ½ = 200 more, now.
    expect((await bed.balance(s.user.id)).available).toBe(400);
    const update = bed.stripe.calls(new RegExp(`^/v1/subscriptions/${s.subId}$`), "POST").at(-1)!;
    expect(update.body).toMatchObject({ proration_behavior: "always_invoice", payment_behavior: "error_if_incomplete" });

    const sub = bed.stripe.subscriptions.get(s.subId)!;
    await bed.send(bed.stripe.event("customer.subscription.updated", sub), bed.stripe.event("invoice.paid", bed.stripe.invoices.get(sub.latest_invoice)!));
    expect((await bed.balance(s.user.id)).available).toBe(400);

    // The next period is granted at the new plan.
    const renewal = bed.stripe.renew(s.subId);
    await bed.send(renewal.updated, renewal.invoice);
    expect((await bed.balance(s.user.id)).available).toBe(1000);
    resetClocks(bed);
  });

  it("a declined upgrade payment changes nothing", async () => {
    const s = await subscribed("starter");
    bed.stripe.declineNext = true;
    const r = await bed.p.api(s.user.key, "POST", "/api/v1/subscriptions", { package_id: "enterprise" });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/declined/);
    expect(await mySubscription(s)).toMatchObject({ package: { code: "starter" } });
    expect((await bed.balance(s.user.id)).available).toBe(200);
  });

  it("a downgrade takes effect at the period's end; asking for the current plan again undoes it", async () => {
    const s = await subscribed("professional");
    const down = await bed.p.api(s.user.key, "POST", "/api/v1/subscriptions", { package_id: "starter" });
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ action: "downgrade_scheduled", subscription: { package: { code: "professional" }, pending_package: { code: "starter" } } });
    expect(bed.stripe.calls(new RegExp(`^/v1/subscriptions/${s.subId}$`), "POST").at(-1)!.body.proration_behavior).toBe("none");
    expect((await bed.balance(s.user.id)).available).toBe(600);

    const undo = await bed.p.api(s.user.key, "POST", "/api/v1/subscriptions", { package_id: "professional" });
    expect(undo.body).toMatchObject({ action: "downgrade_canceled", subscription: { pending_package: null } });
    const again = await bed.p.api(s.user.key, "POST", "/api/v1/subscriptions", { package_id: "starter" });
    expect(again.body.action).toBe("downgrade_scheduled");

    const renewal = bed.stripe.renew(s.subId);
    await bed.send(renewal.updated, renewal.invoice);
    expect(await mySubscription(s)).toMatchObject({ package: { code: "starter" }, pending_package: null, credits_granted_this_period: 200 });
    expect((await bed.balance(s.user.id)).available).toBe(800);
  });

  it("a cancellation takes effect at the period's end", async () => {
    const s = await subscribed("starter");
    const r = await bed.p.api(s.user.key, "POST", `/api/v1/subscriptions/${s.localId}/cancel`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "active", cancel_at_period_end: true });
    const other = await bed.p.user();
    expect((await bed.p.api(other.key, "POST", `/api/v1/subscriptions/${s.localId}/cancel`)).status).toBe(404);
    await bed.send(bed.stripe.endSubscription(s.subId));
    expect(await mySubscription(s)).toMatchObject({ status: "canceled" });
    expect((await bed.balance(s.user.id)).available).toBe(200); // granted credits stay until they expire
    const again = await bed.p.api(s.user.key, "POST", `/api/v1/subscriptions/${s.localId}/cancel`);
    expect(again.status).toBe(409);
  });
});

describe("events out of order", () => {
  it("customer.subscription.updated before created (and invoice.paid first of all) ends in the right state", async () => {
    const user = await bed.p.user();
    // A subscription Stripe created (e.g. a checkout whose own event is late).
    const r = await bed.p.api(user.key, "POST", "/api/v1/subscriptions", { package_id: "starter" });
    const session = bed.stripe.sessions.get(r.body.session_id)!;
    const starter = bed.stripe.prices.get(session._line.price)!;
    const sub = bed.stripe.createSubscription(session.customer, starter, { user_id: user.id });
    const created = bed.stripe.event("customer.subscription.created", sub);
    const firstInvoice = bed.stripe.event("invoice.paid", bed.stripe.invoices.get(sub.latest_invoice)!);
    // Then the user cancels at period end in Stripe's portal.
    sub.cancel_at_period_end = true;
    const updated = bed.stripe.event("customer.subscription.updated", sub);

    await bed.send(firstInvoice, updated, created);
    const local = await bed.q<{ status: string; cancel_at_period_end: boolean; user_id: string }>(
      `SELECT status, cancel_at_period_end, user_id FROM subscriptions WHERE stripe_subscription_id = $1`, [sub.id],
    );
    expect(local).toEqual([{ status: "active", cancel_at_period_end: true, user_id: user.id }]);
    expect((await bed.balance(user.id)).available).toBe(200);

    // The stale "created" snapshot said cancel_at_period_end = false; a replay of it changes nothing either.
    await bed.send(bed.stripe.event("customer.subscription.created", { ...created.data.object, id: sub.id }));
    const after = await bed.q<{ cancel_at_period_end: boolean }>(`SELECT cancel_at_period_end FROM subscriptions WHERE stripe_subscription_id = $1`, [sub.id]);
    expect(after[0]!.cancel_at_period_end).toBe(true);
  });
});
