/**
 * Refunds and chargebacks of an invoice that granted credits of two types, of
 * an invoice whose grants arrive one after the other, and the email of a won
 * chargeback. All through the real webhook and stripe-events worker, against
 * the loopback Stripe fake:
 *
 * - a plan change across credit types: Starter (standard credits) changed in
 *   Stripe's portal to a GPU plan (gpu credits, rolling over) with the
 *   proration billed on the next invoice, then switched back to Starter from
 *   the next period — so the renewal invoice pays for a Starter period
 *   (200 standard) AND the GPU upgrade's proration (200 gpu);
 * - every credit type the invoice granted is reversed in its own account:
 *   refunds take each type's own share, spent credits become a debt in that
 *   type, a chargeback freezes (and a won one gives back) both;
 * - a chargeback opened before the invoice's grants freezes every lot it
 *   grants, including one granted later in another transaction;
 * - a won chargeback mails the user once, however often (and however
 *   concurrently) Stripe delivers it.
 *
 * `ledger:check` is clean after every test (per credit type too).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureStripePrice, requirePackage } from "../../src/billing/packages";
import { PERIOD_S } from "../helpers/fake-stripe";
import { type BillingBed, resetClocksAndCheckBooks, billingCalls, emailOf, startBillingBed, subscribed as subscribedIn, waitForMail } from "./harness";

const PUBLIC_URL = "https://app.holdfast.test";
let bed: BillingBed;
let admin: { id: string; key: string };
beforeAll(async () => {
  bed = await startBillingBed({ env: { PUBLIC_URL } });
  admin = await bed.p.user({ role: "admin" });
  // A plan of another credit type (none ships today): 600 gpu credits a month for $49.99, rolling over.
  await bed.q(
    `INSERT INTO packages (id, code, name, price_cents, credits, credit_type, rollover, sort_order)
     VALUES (gen_random_uuid(), 'gpu', 'GPU', 4999, 600, 'gpu', true, 90)`,
  );
});
afterEach(() => resetClocksAndCheckBooks(bed));
afterAll(async () => {
  await bed?.close();
});

const { spend, balance, submit, outcomeOf } = billingCalls(() => bed);

const notes = (userId: string, kind: string) =>
  bed.q<{ subject: string; body_text: string }>(`SELECT subject, body_text FROM notifications WHERE user_id = $1 AND kind = $2 ORDER BY created_at`, [userId, kind]);

/** The user's balance of gpu credits as the API shows it. */
const gpuBalance = async (key: string) => (await bed.p.api(key, "GET", "/api/v1/credits/balance?credit_type=gpu")).body as { posted: number; available: number };

async function spendGpu(key: string, credits: number): Promise<void> {
  const r = await bed.p.api(key, "POST", "/api/v1/credits/consume", { credits, credit_type: "gpu", description: "gpu work" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

const priceOf = async (plan: string) => ensureStripePrice(bed.p.ctx, bed.p.ctx.stripe!, await requirePackage(bed.p.ctx, plan));

function halfway(subId: string): void {
  const item = bed.stripe.subscriptions.get(subId)!.items.data[0];
  const mid = item.current_period_start + PERIOD_S / 2;
  bed.stripe.now = mid;
  bed.clock.set(new Date(mid * 1000));
}

/**
 * Starter, its first 200 credits spent; halfway through, changed in the portal to `to` with the proration billed on
 * the next invoice (and, with `back`, to Starter again from the next period); then the renewal, not yet delivered.
 */
async function changedThenRenewed(to: string, opts: { back?: boolean } = {}) {
  const s = await subscribedIn(bed, "starter");
  await spend(s.user.key, 200);
  halfway(s.subId);
  const up = bed.stripe.changePlanInPortal(s.subId, await priceOf(to), { invoice: "next" });
  expect(up.invoice).toBeNull();
  await bed.send(up.updated);
  if (opts.back) {
    const down = bed.stripe.changePlanInPortal(s.subId, await priceOf("starter"));
    await bed.send(down.updated);
  }
  const renewal = bed.stripe.renew(s.subId);
  bed.clock.set(new Date(bed.stripe.now * 1000));
  return { s, renewal, invoice: renewal.invoiceObj.id as string };
}

/** The GPU scenario: the renewal invoice pays for 200 standard (the Starter period, 1999 cents) and 200 gpu (the proration, 1500). */
async function acrossTypes(opts: { deliver?: boolean } = {}) {
  const r = await changedThenRenewed("gpu", { back: true });
  expect(r.renewal.invoiceObj.amount_paid).toBe(3499);
  if (opts.deliver !== false) await bed.send(r.renewal.updated, r.renewal.invoice);
  return r;
}

async function grantsOf(invoice: string) {
  return bed.q<{ kind: string; credits: string; credit_type: string }>(
    `SELECT g.kind, g.credits::text, p.credit_type FROM subscription_grants g JOIN packages p ON p.id = g.package_id WHERE g.stripe_invoice_id = $1 ORDER BY g.kind`,
    [invoice]);
}

async function reclaimedByType(invoice: string) {
  return bed.q<{ credit_type: string; reclaimed_credits: string }>(
    `SELECT t.credit_type, t.reclaimed_credits FROM purchase_reversal_types t JOIN purchase_reversals r ON r.id = t.reversal_id
      WHERE r.stripe_invoice_id = $1 ORDER BY t.credit_type`, [invoice]);
}

describe("an invoice that granted two credit types", () => {
  it("fully refunded: both types are taken back, each from its own account, once under concurrent deliveries; one email", async () => {
    const { s, invoice } = await acrossTypes();
    expect(await grantsOf(invoice)).toEqual([
      { kind: "period", credits: "200", credit_type: "standard" },
      { kind: "upgrade", credits: "200", credit_type: "gpu" },
    ]);
    expect((await balance(s.user.key)).posted).toBe(200);
    expect((await gpuBalance(s.user.key)).posted).toBe(200);

    bed.stripe.refundInvoice(invoice, 3499);
    const charge = bed.stripe.chargeOfInvoice(invoice);
    const events = Array.from({ length: 3 }, () => bed.stripe.event("charge.refunded", charge));
    await Promise.all(events.map((e) => bed.send(e)));
    expect((await Promise.all(events.map((e) => outcomeOf(e.id)))).sort()).toEqual([
      "refunded_cents=3499;clawed_back=400;debt=0", "refunded_cents=3499;no_change", "refunded_cents=3499;no_change",
    ]);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, debt: 0, frozen: 0, status: "active" });
    expect((await gpuBalance(s.user.key)).posted).toBe(0);
    expect(await reclaimedByType(invoice)).toEqual([{ credit_type: "gpu", reclaimed_credits: "200" }, { credit_type: "standard", reclaimed_credits: "200" }]);
    const [rev] = await bed.q(`SELECT reclaimed_credits FROM purchase_reversals WHERE stripe_invoice_id = $1`, [invoice]);
    expect(rev).toEqual({ reclaimed_credits: "400" });
    const clawbacks = await bed.q<{ credit_type: string; amount: string }>(
      `SELECT credit_type, amount::text FROM ledger_transfers WHERE user_id = $1 AND type = 'clawback' ORDER BY credit_type`, [s.user.id]);
    expect(clawbacks).toEqual([{ credit_type: "gpu", amount: "200" }, { credit_type: "standard", amount: "200" }]);

    // A replayed event and a new one for the same refund change nothing and mail nothing.
    expect((await bed.stripe.deliver(bed.p.url, events[0]!)).status).toBe(200);
    await bed.send(bed.stripe.event("charge.refunded", bed.stripe.chargeOfInvoice(invoice)));
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "credits_clawed_back");
    expect(await notes(s.user.id, "credits_clawed_back")).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Refund: 200 credits and 200 gpu credits taken back");
    expect(mails[0]!.text).toContain("Because your Starter plan invoice was refunded, the 200 credits and 200 gpu credits it paid for are no longer yours.");
  });

  it("partial refunds take each type's own share, rounded down per type; spent gpu credits become a gpu debt", async () => {
    const { s, invoice } = await acrossTypes();
    await spendGpu(s.user.key, 150);
    await bed.send(bed.stripe.refundInvoice(invoice, 1000));
    // Each type: 200 × 1000 ÷ 3499 = 57.16 → 57 (114 in all ≤ 400 × 1000 ÷ 3499 = 114.3). gpu had only 50 left: 7 owed.
    expect((await balance(s.user.key)).posted).toBe(143);
    expect((await gpuBalance(s.user.key)).posted).toBe(0);
    expect(await reclaimedByType(invoice)).toEqual([{ credit_type: "gpu", reclaimed_credits: "57" }, { credit_type: "standard", reclaimed_credits: "57" }]);
    await bed.send(bed.stripe.refundInvoice(invoice, 1749));
    // 2749 cents: 200 × 2749 ÷ 3499 = 157.13 → 157 per type, 100 more in each.
    expect((await balance(s.user.key)).posted).toBe(43);
    expect(await reclaimedByType(invoice)).toEqual([{ credit_type: "gpu", reclaimed_credits: "157" }, { credit_type: "standard", reclaimed_credits: "157" }]);
    await bed.send(bed.stripe.refundInvoice(invoice, 750));
    // All of it back: every credit of each type.
    expect((await balance(s.user.key)).posted).toBe(0);
    const debts = await bed.q<{ credit_type: string; amount: string; reason: string }>(
      `SELECT credit_type, amount::text, reason FROM credit_debts WHERE user_id = $1 ORDER BY created_at, amount`, [s.user.id]);
    expect(debts).toEqual([
      { credit_type: "gpu", amount: "7", reason: "refund" }, { credit_type: "gpu", amount: "100", reason: "refund" }, { credit_type: "gpu", amount: "43", reason: "refund" },
    ]);
    expect(await balance(s.user.key)).toMatchObject({ debt: 150 });
    expect((await submit(s.user.key)).body.error).toMatchObject({ code: "insufficient_credits", details: { reason: "debt" } });
    expect(await reclaimedByType(invoice)).toEqual([{ credit_type: "gpu", reclaimed_credits: "200" }, { credit_type: "standard", reclaimed_credits: "200" }]);
    // One email per step, each naming both types.
    await waitForMail(bed, await emailOf(bed, s.user.id), "credits_clawed_back", 3);
    expect((await notes(s.user.id, "credits_clawed_back")).map((n) => n.subject)).toEqual([
      "Refund: 7 gpu credits owed", "Refund: 100 gpu credits owed", "Refund: 43 gpu credits owed",
    ]);
    expect((await notes(s.user.id, "credits_clawed_back"))[0]!.body_text).toContain("57 credits and 50 gpu credits were taken back from your balance.");
    await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${s.user.id}/forgive`, { reason: "test" });
  });

  it("a chargeback opened before the grants freezes both types; won gives both back with their lots' expiry and mails once", async () => {
    const { s, renewal, invoice } = await acrossTypes({ deliver: false });
    const { dispute, event } = bed.stripe.openInvoiceDispute(invoice);
    await bed.send(event);
    expect(await outcomeOf(event.id)).toMatch(/recorded_awaiting_grant/);
    await bed.send(renewal.updated, renewal.invoice);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 400, status: "paused" });
    expect((await gpuBalance(s.user.key)).posted).toBe(0);
    const frozen = await waitForMail(bed, await emailOf(bed, s.user.id), "chargeback_frozen");
    expect(frozen[0]!.subject).toBe("Chargeback opened: 200 credits and 200 gpu credits frozen, account paused");

    const won = bed.stripe.closeDispute(dispute.id, "won");
    const again = bed.stripe.event("charge.dispute.closed", bed.stripe.disputes.get(dispute.id)!);
    await Promise.all([bed.send(won), bed.send(again)]);
    expect(await balance(s.user.key)).toMatchObject({ posted: 200, frozen: 0, debt: 0, status: "active" });
    expect((await gpuBalance(s.user.key)).posted).toBe(200);
    const restored = await bed.q<{ credit_type: string; expires_at: Date | null }>(
      `SELECT a.credit_type, l.expires_at FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id JOIN ledger_transfers t ON t.id = l.grant_transfer_id
        WHERE a.user_id = $1 AND t.type = 'adjustment' ORDER BY a.credit_type`, [s.user.id]);
    const periodEnd = (renewal.invoiceObj.period_end as number) * 1000;
    expect(restored.map((r) => [r.credit_type, r.expires_at?.getTime() ?? null])).toEqual([["gpu", null], ["standard", periodEnd]]);
    await bed.send(bed.stripe.event("charge.dispute.closed", bed.stripe.disputes.get(dispute.id)!));
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "chargeback_won");
    expect(await notes(s.user.id, "chargeback_won")).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Chargeback closed: 200 credits and 200 gpu credits back, account resumed");
    expect(mails[0]!.text).toContain("The chargeback on your Starter plan invoice was decided in our favour and is closed.");
    expect(mails[0]!.text).toContain(`Reference: ${dispute.id}`);
    expect(mails[0]!.text).toContain(`${PUBLIC_URL}/`);
    expect((await submit(s.user.key)).status).toBe(202);
  });

  it("a lost chargeback takes both types back, the spent part owed in its own type", async () => {
    const { s, invoice } = await acrossTypes();
    await spendGpu(s.user.key, 30);
    const { dispute, event } = bed.stripe.openInvoiceDispute(invoice);
    await bed.send(event);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 370, status: "paused" });
    await bed.send(bed.stripe.closeDispute(dispute.id, "lost"));
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 0, debt: 30, status: "active" });
    expect((await gpuBalance(s.user.key)).posted).toBe(0);
    const [d] = await bed.q(`SELECT credit_type, amount::text, reason FROM credit_debts WHERE user_id = $1`, [s.user.id]);
    expect(d).toEqual({ credit_type: "gpu", amount: "30", reason: "chargeback" });
    expect(await notes(s.user.id, "chargeback_won")).toHaveLength(0);
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "credits_clawed_back");
    expect(mails[0]!.subject).toBe("Chargeback: 30 gpu credits owed");
    await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${s.user.id}/forgive`, { reason: "test" });
  });
});

describe("a chargeback and the invoice's grants made one after the other", () => {
  it("opened before the period grant, the upgrade granted later is frozen too; lost takes all of both", async () => {
    // Starter → Enterprise (rolls over) with the proration on the renewal: the renewal pays a 1500-credit period and a 650-credit upgrade.
    const { s, renewal, invoice } = await changedThenRenewed("enterprise");
    const { dispute, event } = bed.stripe.openInvoiceDispute(invoice);
    await bed.send(event);
    // Stripe reports the plan past_due for now: the period is granted (and frozen), the upgrade waits.
    bed.stripe.subscriptions.get(s.subId)!.status = "past_due";
    await bed.send(renewal.updated, renewal.invoice);
    expect(await grantsOf(invoice)).toEqual([{ kind: "period", credits: "1500", credit_type: "standard" }]);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 1500, status: "paused" });

    // Active again: the same invoice's upgrade is granted, in another transaction, and frozen at once.
    bed.stripe.subscriptions.get(s.subId)!.status = "active";
    const active = bed.stripe.event("customer.subscription.updated", bed.stripe.subscriptions.get(s.subId)!);
    await Promise.all([bed.send(active), bed.send(bed.stripe.event("customer.subscription.updated", bed.stripe.subscriptions.get(s.subId)!))]);
    expect(await grantsOf(invoice)).toEqual([
      { kind: "period", credits: "1500", credit_type: "standard" }, { kind: "upgrade", credits: "650", credit_type: "standard" },
    ]);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 2150, status: "paused" });
    const lots = await bed.q(`SELECT frozen_credits::text FROM stripe_chargeback_lots WHERE chargeback_id = $1 ORDER BY created_at`, [dispute.id]);
    expect(lots).toEqual([{ frozen_credits: "1500" }, { frozen_credits: "650" }]);
    await waitForMail(bed, await emailOf(bed, s.user.id), "chargeback_frozen", 2);
    expect((await notes(s.user.id, "chargeback_frozen")).map((n) => n.subject)).toEqual([
      "Chargeback opened: 1500 credits frozen, account paused", "Chargeback open: 650 credits more frozen",
    ]);
    // Replays freeze and mail nothing more.
    await bed.send(bed.stripe.event("charge.dispute.created", dispute), bed.stripe.event("customer.subscription.updated", bed.stripe.subscriptions.get(s.subId)!));
    expect(await notes(s.user.id, "chargeback_frozen")).toHaveLength(2);

    await bed.send(bed.stripe.closeDispute(dispute.id, "lost"));
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 0, debt: 0, status: "active" });
    const [rev] = await bed.q(`SELECT reclaimed_credits::text FROM purchase_reversals WHERE stripe_invoice_id = $1`, [invoice]);
    expect(rev).toEqual({ reclaimed_credits: "2150" });
  });

  it("won: both lots come back, each with its own expiry (the period's end; never for the rolled-over upgrade)", async () => {
    const { s, renewal, invoice } = await changedThenRenewed("enterprise");
    const { dispute, event } = bed.stripe.openInvoiceDispute(invoice);
    await bed.send(event, renewal.updated, renewal.invoice);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 2150, status: "paused" });
    // Both grants in one transaction: one freeze step, one email.
    expect((await notes(s.user.id, "chargeback_frozen")).map((n) => n.subject)).toEqual(["Chargeback opened: 2150 credits frozen, account paused"]);
    await bed.send(bed.stripe.closeDispute(dispute.id, "won"));
    expect(await balance(s.user.key)).toMatchObject({ posted: 2150, frozen: 0, status: "active" });
    const restored = await bed.q<{ remaining: string; expires_at: Date | null }>(
      `SELECT l.remaining::text, l.expires_at FROM ledger_lots l JOIN ledger_transfers t ON t.id = l.grant_transfer_id
        WHERE t.user_id = $1 AND t.type = 'adjustment' ORDER BY l.remaining`, [s.user.id]);
    // Enterprise rolls over: the period's credits never expire either.
    expect(restored).toEqual([{ remaining: "650", expires_at: null }, { remaining: "1500", expires_at: null }]);
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "chargeback_won");
    expect(mails[0]!.subject).toBe("Chargeback closed: 2150 credits back, account resumed");
  });
});

describe("a won chargeback of a purchase", () => {
  async function bought(credits: number): Promise<{ user: { id: string; key: string }; sessionId: string }> {
    const user = await bed.p.user();
    const r = await bed.p.api(user.key, "POST", "/api/v1/credits/purchase", { credits });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await bed.send(...bed.stripe.completeCheckout(r.body.session_id));
    return { user, sessionId: r.body.session_id as string };
  }

  it("mails the user once that the frozen credits are back, under concurrent and replayed deliveries", async () => {
    const b = await bought(100);
    await spend(b.user.key, 40);
    const { dispute, event } = bed.stripe.openDispute(b.sessionId);
    await bed.send(event);
    const closed = bed.stripe.closeDispute(dispute.id, "won");
    const copies = [closed, bed.stripe.event("charge.dispute.closed", bed.stripe.disputes.get(dispute.id)!)];
    await Promise.all(copies.map((e) => bed.send(e)));
    expect((await bed.stripe.deliver(bed.p.url, closed)).status).toBe(200);
    expect(await balance(b.user.key)).toMatchObject({ posted: 60, frozen: 0, status: "active" });
    const mails = await waitForMail(bed, await emailOf(bed, b.user.id), "chargeback_won");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Chargeback closed: 60 credits back, account resumed");
    expect(mails[0]!.text).toContain("The chargeback on your purchase of 100 credits was decided in our favour and is closed.");
    expect(mails[0]!.text).toContain("The 60 credits frozen while it was open are back in your balance.");
    expect(mails[0]!.text).toContain("Your account is active again: new work can start.");
    expect(await notes(b.user.id, "chargeback_won")).toHaveLength(1);
  });

  it("closed as won before it was ever opened here (nothing frozen, nothing paused): no email", async () => {
    const b = await bought(100);
    const { dispute } = bed.stripe.openDispute(b.sessionId);
    const closed = bed.stripe.closeDispute(dispute.id, "won");
    await bed.send(closed, bed.stripe.event("charge.dispute.created", dispute));
    expect(await balance(b.user.key)).toMatchObject({ posted: 100, frozen: 0, status: "active" });
    expect(await notes(b.user.id, "chargeback_won")).toHaveLength(0);
  });
});
