/**
 * Upgrades of Stripe plans grant only once the invoice carrying the proration
 * is paid: changes made in Stripe's own portal, on active, unpaid and paused
 * subscriptions, events out of order and replayed concurrently — exactly once,
 * never for a subscription that is not active or trialing, nothing for a
 * downgrade; the ledger stays consistent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureStripePrice, requirePackage } from "../../src/billing/packages";
import { checkLedger } from "../../src/ledger";
import { PERIOD_S } from "../helpers/fake-stripe";
import { type BillingBed, resetClocks, startBillingBed, type Subscribed, subscribed as subscribedIn } from "./harness";

let bed: BillingBed;
beforeAll(async () => {
  bed = await startBillingBed();
});
afterEach(() => resetClocks(bed));
afterAll(async () => {
  await bed?.close();
});

/** A user subscribed to `plan` through Checkout, all events delivered. */
const subscribed = (plan: string): Promise<Subscribed> => subscribedIn(bed, plan);

/** The Stripe price of a plan (as our own API would create it). */
async function priceOf(code: string): Promise<string> {
  return ensureStripePrice(bed.p.ctx, bed.p.ctx.stripe!, await requirePackage(bed.p.ctx, code));
}

/** Half of the subscription's period left, on both clocks. */
function halfway(subId: string): void {
  const item = bed.stripe.subscriptions.get(subId)!.items.data[0];
  const mid = item.current_period_start + PERIOD_S / 2;
  bed.stripe.now = mid;
  bed.clock.set(new Date(mid * 1000));
}

async function local(s: Subscribed) {
  const r = await bed.p.api(s.user.key, "GET", "/api/v1/subscriptions");
  return r.body.data.find((x: { id: string }) => x.id === s.localId);
}

async function upgrades(s: Subscribed) {
  return bed.q<{ status: string; credits: string | null; stripe_invoice_id: string | null }>(
    `SELECT status, credits, stripe_invoice_id FROM subscription_upgrades WHERE subscription_id = $1 ORDER BY created_at`,
    [s.localId],
  );
}

async function ledgerClean() {
  const report = await bed.p.ctx.ds.transaction("REPEATABLE READ", (m) => checkLedger(m));
  expect(report.ok, JSON.stringify(report)).toBe(true);
}

describe("an upgrade on an active subscription", () => {
  it("made in Stripe's portal grants nothing until the proration invoice is paid, then exactly once under concurrent replay", async () => {
    const s = await subscribed("starter");
    expect((await bed.balance(s.user.id)).available).toBe(200);
    halfway(s.subId);
    const change = bed.stripe.changePlanInPortal(s.subId, await priceOf("professional"), { invoice: "open" });
    await bed.send(change.updated, change.invoice!);
    // The plan is the plan Stripe bills; the credits wait for the money.
    expect(await local(s)).toMatchObject({ status: "active", package: { code: "professional" }, credits_granted_this_period: 200 });
    expect((await bed.balance(s.user.id)).available).toBe(200);
    expect(await upgrades(s)).toEqual([{ status: "pending", credits: null, stripe_invoice_id: null }]);

    const paid = bed.stripe.payInvoice(change.invoiceObj!.id);
    await bed.send(paid);
    // (600 − 200) × ½ = 200 more.
    expect((await bed.balance(s.user.id)).available).toBe(400);
    expect(await upgrades(s)).toEqual([{ status: "granted", credits: "200", stripe_invoice_id: change.invoiceObj!.id }]);
    expect(await local(s)).toMatchObject({ credits_granted_this_period: 400 });

    // Replays: the same event, new events for the same invoice (invoice.paid and invoice.payment_succeeded),
    // and subscription syncs that find it as the latest paid invoice — all at once.
    const invoice = bed.stripe.invoices.get(change.invoiceObj!.id)!;
    const sub = bed.stripe.subscriptions.get(s.subId)!;
    const again = [
      ...Array.from({ length: 3 }, () => bed.stripe.event("invoice.paid", invoice)),
      ...Array.from({ length: 3 }, () => bed.stripe.event("invoice.payment_succeeded", invoice)),
      ...Array.from({ length: 2 }, () => bed.stripe.event("customer.subscription.updated", sub)),
    ];
    await Promise.all([...again.map((e) => bed.send(e)), bed.send(paid)]);
    expect((await bed.balance(s.user.id)).available).toBe(400);
    const transfers = await bed.q<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger_transfers WHERE metadata->>'stripe_invoice_id' = $1`, [invoice.id],
    );
    expect(transfers[0]!.n).toBe(1);
    await ledgerClean();
  });

  it("invoice.paid before customer.subscription.updated (out of order) grants once", async () => {
    const s = await subscribed("starter");
    halfway(s.subId);
    const change = bed.stripe.changePlanInPortal(s.subId, await priceOf("professional"), { invoice: "paid" });
    await bed.send(change.invoice!);
    expect((await bed.balance(s.user.id)).available).toBe(400);
    await bed.send(change.updated);
    expect((await bed.balance(s.user.id)).available).toBe(400);
    expect(await local(s)).toMatchObject({ package: { code: "professional" }, credits_granted_this_period: 400 });
    await ledgerClean();
  });

  it("through our API (payment taken with the change) still grants at once, once", async () => {
    const s = await subscribed("starter");
    halfway(s.subId);
    const r = await bed.p.api(s.user.key, "POST", "/api/v1/subscriptions", { package_id: "professional" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ action: "upgraded", subscription: { package: { code: "professional" }, credits_granted_this_period: 400 } });
    const sub = bed.stripe.subscriptions.get(s.subId)!;
    await bed.send(bed.stripe.event("invoice.paid", bed.stripe.invoices.get(sub.latest_invoice)!), bed.stripe.event("customer.subscription.updated", sub));
    expect((await bed.balance(s.user.id)).available).toBe(400);
  });
});

describe("a trialing subscription", () => {
  it("is granted its upgrade once the proration invoice is paid, like an active one", async () => {
    const s = await subscribed("starter");
    halfway(s.subId);
    bed.stripe.subscriptions.get(s.subId)!.status = "trialing";
    const change = bed.stripe.changePlanInPortal(s.subId, await priceOf("professional"), { invoice: "paid" });
    await bed.send(change.updated);
    expect(await local(s)).toMatchObject({ status: "trialing", package: { code: "professional" } });
    expect((await bed.balance(s.user.id)).available).toBe(400); // the sync found the latest invoice paid
    await bed.send(change.invoice!);
    expect((await bed.balance(s.user.id)).available).toBe(400);
  });
});

describe("no upgrade credits", () => {
  it.each(["unpaid", "paused", "past_due"])("for a %s subscription, even when a proration invoice is paid", async (status) => {
    const s = await subscribed("starter");
    halfway(s.subId);
    bed.stripe.subscriptions.get(s.subId)!.status = status;
    const change = bed.stripe.changePlanInPortal(s.subId, await priceOf("professional"), { invoice: "paid" });
    await bed.send(change.updated, change.invoice!, bed.stripe.event("invoice.payment_succeeded", change.invoiceObj!));
    expect(await local(s)).toMatchObject({ status, package: { code: "professional" } });
    expect((await bed.balance(s.user.id)).available).toBe(200);
    expect(await upgrades(s)).toEqual([{ status: "pending", credits: null, stripe_invoice_id: null }]);
    const outcome = await bed.q<{ outcome: string }>(`SELECT outcome FROM stripe_events WHERE payload->'data'->'object'->>'id' = $1 AND type = 'invoice.paid'`, [change.invoiceObj!.id]);
    expect(outcome[0]!.outcome).toContain(`upgrade_not_granted:status=${status}`);
    await ledgerClean();
  });

  it("for a downgrade made in the portal: it waits for the period's end and grants nothing", async () => {
    const s = await subscribed("professional");
    halfway(s.subId);
    const change = bed.stripe.changePlanInPortal(s.subId, await priceOf("starter"));
    expect(change.invoice).toBeNull();
    await bed.send(change.updated);
    expect(await local(s)).toMatchObject({ package: { code: "professional" }, pending_package: { code: "starter" } });
    expect((await bed.balance(s.user.id)).available).toBe(600);
    expect(await upgrades(s)).toEqual([]);
    // The renewal bills the cheaper plan: its period is granted, nothing for the change.
    const renewal = bed.stripe.renew(s.subId);
    await bed.send(renewal.updated, renewal.invoice);
    expect(await local(s)).toMatchObject({ package: { code: "starter" }, pending_package: null, credits_granted_this_period: 200 });
    await ledgerClean();
  });
});
