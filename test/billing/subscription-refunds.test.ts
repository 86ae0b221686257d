/**
 * Refunds and chargebacks of SUBSCRIPTION invoices (period and upgrade)
 * take their credits back like those of purchases: signed events through the
 * real webhook and stripe-events worker, the loopback Stripe fake re-read by
 * the handlers (charge → InvoicePayment → invoice → our subscription_grants).
 * Unspent credits come back from the grant's lot; spent ones become a debt
 * (402, reason `debt`) that a purchase repays; a chargeback freezes and
 * pauses, won gives back (and says so), lost takes back. Each step mails the user once,
 * however often Stripe delivers; the owed-credits gauge reads the debt;
 * `ledger:check` is clean after every test.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureStripePrice, requirePackage } from "../../src/billing/packages";
import * as ledger from "../../src/ledger";
import { PERIOD_S } from "../helpers/fake-stripe";
import { type BillingBed, resetClocksAndCheckBooks, billingCalls, emailOf, startBillingBed, type Subscribed, subscribed as subscribedIn, waitForMail } from "./harness";

const PUBLIC_URL = "https://app.holdfast.test";
let bed: BillingBed;
let admin: { id: string; key: string };
beforeAll(async () => {
  bed = await startBillingBed({ env: { PUBLIC_URL, METRICS_CACHE_MS: "0" } });
  admin = await bed.p.user({ role: "admin" });
});
afterEach(() => resetClocksAndCheckBooks(bed));
afterAll(async () => {
  await bed?.close();
});

/** Starter: 200 credits for $19.99 a period. */
const subscribed = (plan = "starter"): Promise<Subscribed> => subscribedIn(bed, plan);
const latestInvoice = (s: Subscribed): string => bed.stripe.subscriptions.get(s.subId)!.latest_invoice as string;

const { spend, balance, history, submit, outcomeOf } = billingCalls(() => bed);

/** Queued notifications of a kind for a user (the "exactly once" record: the mail worker sends each row once). */
const notes = (userId: string, kind: string) =>
  bed.q<{ subject: string; body_text: string }>(`SELECT subject, body_text FROM notifications WHERE user_id = $1 AND kind = $2 ORDER BY created_at`, [userId, kind]);

/** Half of the subscription's period left, on both clocks. */
function halfway(subId: string): void {
  const item = bed.stripe.subscriptions.get(subId)!.items.data[0];
  const mid = item.current_period_start + PERIOD_S / 2;
  bed.stripe.now = mid;
  bed.clock.set(new Date(mid * 1000));
}

async function owedGauge(): Promise<number> {
  const r = await fetch(`${bed.p.url}/metrics`, { headers: { authorization: `Bearer ${admin.key}` } });
  expect(r.status).toBe(200);
  const line = (await r.text()).split("\n").find((l) => l.startsWith(`holdfast_credits_owed{credit_type="standard"}`));
  expect(line).toBeDefined();
  return Number(line!.split(" ").pop());
}

describe("refunds of a subscription invoice", () => {
  it("fully refunded and unspent: every credit of the period is taken back; replays take nothing and mail nothing more", async () => {
    const s = await subscribed();
    const invoice = latestInvoice(s);
    expect(await balance(s.user.key)).toMatchObject({ posted: 200, debt: 0 });
    const refund = bed.stripe.refundInvoice(invoice, 1999);
    await bed.send(refund);
    expect(await outcomeOf(refund.id)).toBe("refunded_cents=1999;clawed_back=200;debt=0");
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, available: 0, debt: 0, frozen: 0, status: "active" });
    expect(await history(s.user.key)).toEqual([["subscription", 200], ["clawback", 200]]);
    const [rev] = await bed.q(`SELECT checkout_id, refunded_cents, paid_cents, reclaimed_credits FROM purchase_reversals WHERE stripe_invoice_id = $1`, [invoice]);
    expect(rev).toEqual({ checkout_id: null, refunded_cents: "1999", paid_cents: "1999", reclaimed_credits: "200" });

    // Stripe retries the same event (deduplicated) and sends a new one for the same refund (re-read: nothing new).
    expect((await bed.stripe.deliver(bed.p.url, refund)).status).toBe(200);
    const again = bed.stripe.event("charge.refunded", bed.stripe.chargeOfInvoice(invoice));
    await bed.send(again);
    expect(await outcomeOf(again.id)).toBe("refunded_cents=1999;no_change");
    expect(await history(s.user.key)).toEqual([["subscription", 200], ["clawback", 200]]);

    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "credits_clawed_back");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Refund: 200 credits taken back");
    expect(mails[0]!.text).toContain("Because your Starter plan payment was refunded, the 200 credits it paid for are no longer yours.");
    expect(mails[0]!.text).toContain("200 credits were taken back from your balance.");
    expect(mails[0]!.text).toContain(`See your balance on the dashboard: ${PUBLIC_URL}/`);
    expect(mails[0]!.text).not.toContain("already been spent");
    expect(await notes(s.user.id, "credits_clawed_back")).toHaveLength(1);
  });

  it("half spent: the rest is taken, the spent part is a debt that refuses work (402 debt) until a purchase repays it; mailed once", async () => {
    const s = await subscribed();
    await spend(s.user.key, 120);
    const before = await owedGauge();
    const refund = bed.stripe.refundInvoice(latestInvoice(s), 1999);
    await bed.send(refund);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, debt: 120, frozen: 0, status: "active" });
    const debts = await bed.q(`SELECT amount, reason, checkout_id, stripe_invoice_id FROM credit_debts WHERE user_id = $1`, [s.user.id]);
    expect(debts).toEqual([{ amount: "120", reason: "refund", checkout_id: null, stripe_invoice_id: latestInvoice(s) }]);
    // The gauge of credits owed reads the new debt.
    expect(await owedGauge()).toBe(before + 120);

    await bed.p.api(admin.key, "POST", "/api/v1/admin/credits/add", { user_id: s.user.id, amount: 10, description: "goodwill" });
    const job = await submit(s.user.key);
    expect(job.status).toBe(402);
    expect(job.body.error).toMatchObject({ code: "insufficient_credits", details: { debt: 120, reason: "debt", required: 1, available: 10 } });
    expect(await bed.q(`SELECT 1 FROM jobs WHERE user_id = $1`, [s.user.id])).toEqual([]);

    // A delivery twice more mails nothing more.
    expect((await bed.stripe.deliver(bed.p.url, refund)).status).toBe(200);
    await bed.send(bed.stripe.event("charge.refunded", bed.stripe.chargeOfInvoice(latestInvoice(s))));
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "credits_clawed_back");
    expect(await notes(s.user.id, "credits_clawed_back")).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Refund: 120 credits owed");
    expect(mails[0]!.text).toContain("80 credits were taken back from your balance.");
    expect(mails[0]!.text).toContain("120 credits had already been spent, so your account owes them.");
    expect(mails[0]!.text).toContain(`See what is owed and how to repay it on the dashboard: ${PUBLIC_URL}/`);

    // The next purchase pays the debt first.
    const r = await bed.p.api(s.user.key, "POST", "/api/v1/credits/purchase", { credits: 200 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await bed.send(...bed.stripe.completeCheckout(r.body.session_id));
    expect(await balance(s.user.key)).toMatchObject({ posted: 90, debt: 0 });
    expect(await owedGauge()).toBe(before);
    expect((await submit(s.user.key)).status).toBe(202);
  });

  it("partial refunds twice take back the grant's own price, each only the difference; replays and stale snapshots take nothing", async () => {
    const s = await subscribed();
    const invoice = latestInvoice(s);
    const first = bed.stripe.refundInvoice(invoice, 999);
    await bed.send(first);
    // 200 × 999 ÷ 1999 = 99.95 → 99.
    expect((await balance(s.user.key)).posted).toBe(101);
    const second = bed.stripe.refundInvoice(invoice, 500);
    await bed.send(second);
    // 200 × 1499 ÷ 1999 = 149.97 → 149: 50 more.
    expect((await balance(s.user.key)).posted).toBe(51);
    expect((await bed.stripe.deliver(bed.p.url, first)).status).toBe(200);
    const stale = bed.stripe.event("charge.refunded", { ...bed.stripe.chargeOfInvoice(invoice), amount_refunded: 999 });
    await bed.send(stale, bed.stripe.event("charge.refunded", bed.stripe.chargeOfInvoice(invoice)));
    expect(await outcomeOf(stale.id)).toMatch(/no_change/);
    expect(await history(s.user.key)).toEqual([["subscription", 200], ["clawback", 99], ["clawback", 50]]);
    const [rev] = await bed.q(`SELECT refunded_cents, reclaimed_credits FROM purchase_reversals WHERE stripe_invoice_id = $1`, [invoice]);
    expect(rev).toEqual({ refunded_cents: "1499", reclaimed_credits: "149" });
    // One email per step.
    await waitForMail(bed, await emailOf(bed, s.user.id), "credits_clawed_back", 2);
    expect((await notes(s.user.id, "credits_clawed_back")).map((n) => n.subject)).toEqual(["Refund: 99 credits taken back", "Refund: 50 credits taken back"]);
  });

  it("a refund that arrives before the renewal was granted takes effect when it is", async () => {
    const s = await subscribed();
    const renewal = bed.stripe.renew(s.subId);
    bed.clock.set(new Date(bed.stripe.now * 1000));
    const refund = bed.stripe.refundInvoice(renewal.invoiceObj.id, 1999);
    await bed.send(refund);
    expect(await outcomeOf(refund.id)).toMatch(/recorded_awaiting_grant/);
    await bed.send(renewal.updated, renewal.invoice);
    const rows = await bed.q<{ type: string; amount: string; stripe_invoice_id: string | null }>(
      `SELECT type, amount, metadata->>'stripe_invoice_id' AS stripe_invoice_id FROM ledger_transfers WHERE user_id = $1 AND metadata->>'stripe_invoice_id' = $2 ORDER BY type`,
      [s.user.id, renewal.invoiceObj.id],
    );
    expect(rows.map((r) => [r.type, r.amount])).toEqual([["clawback", "200"], ["subscription", "200"]]);
  });

  it("an upgrade's proration invoice refunded takes back only the upgrade's credits", async () => {
    const s = await subscribed();
    halfway(s.subId);
    const pro = await ensureStripePrice(bed.p.ctx, bed.p.ctx.stripe!, await requirePackage(bed.p.ctx, "professional"));
    const change = bed.stripe.changePlanInPortal(s.subId, pro);
    await bed.send(change.updated, change.invoice!);
    // (600 − 200) × ½ = 200 more, for (4999 − 1999) × ½ = 1500 cents.
    expect((await balance(s.user.key)).posted).toBe(400);
    expect(change.invoiceObj!.amount_paid).toBe(1500);
    await spend(s.user.key, 50);
    // Half of the proration back: 100 of the upgrade's 200 credits.
    await bed.send(bed.stripe.refundInvoice(change.invoiceObj!.id, 750));
    expect(await balance(s.user.key)).toMatchObject({ posted: 250, debt: 0 });
    const [t] = await bed.q<{ lot: string }>(
      `SELECT c.lot_id AS lot FROM ledger_transfers t JOIN ledger_lot_consumptions c ON c.transfer_id = t.id WHERE t.user_id = $1 AND t.type = 'clawback'`, [s.user.id]);
    const [upgradeLot] = await bed.q<{ id: string }>(
      `SELECT l.id FROM ledger_lots l JOIN subscription_grants g ON g.transfer_id = l.grant_transfer_id WHERE g.stripe_invoice_id = $1 AND g.kind = 'upgrade'`,
      [change.invoiceObj!.id]);
    expect(t!.lot).toBe(upgradeLot!.id);
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "credits_clawed_back");
    expect(mails[0]!.text).toContain("your upgrade to the Professional plan was refunded");
    // The rest of it: all 200.
    await bed.send(bed.stripe.refundInvoice(change.invoiceObj!.id, 750));
    expect(await balance(s.user.key)).toMatchObject({ posted: 150, debt: 0 });
  });

  it("concurrent deliveries of refund and dispute events for one invoice take back exactly once and mail once per step", async () => {
    const s = await subscribed();
    await spend(s.user.key, 40);
    const invoice = latestInvoice(s);
    bed.stripe.refundInvoice(invoice, 999);
    const { dispute } = bed.stripe.openInvoiceDispute(invoice, 1000);
    bed.stripe.closeDispute(dispute.id, "lost");
    const charge = bed.stripe.chargeOfInvoice(invoice);
    const events = [
      ...Array.from({ length: 4 }, () => bed.stripe.event("charge.refunded", charge)),
      ...Array.from({ length: 2 }, () => bed.stripe.event("charge.dispute.created", dispute)),
      ...Array.from({ length: 2 }, () => bed.stripe.event("charge.dispute.closed", dispute)),
    ];
    await Promise.all(events.map((e) => bed.send(e)));
    // 999 + 1000 cents = all $19.99: all 200 credits reclaimed — 160 taken, 40 owed — once.
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 0, debt: 40, status: "active" });
    const [t] = await bed.q<{ sum: string }>(`SELECT sum(amount)::text AS sum FROM ledger_transfers WHERE user_id = $1 AND type = 'clawback'`, [s.user.id]);
    expect(t!.sum).toBe("160");
    const [rev] = await bed.q(`SELECT reclaimed_credits FROM purchase_reversals WHERE stripe_invoice_id = $1`, [invoice]);
    expect(rev).toEqual({ reclaimed_credits: "200" });
    // Each distinct step (the refund's share, then the rest after the lost chargeback, or all at once) mailed once.
    const steps = await bed.q<{ n: number }>(`SELECT count(DISTINCT target)::int AS n FROM (SELECT metadata->>'target' AS target FROM ledger_transfers WHERE user_id = $1 AND type = 'clawback') x`, [s.user.id]);
    expect(await notes(s.user.id, "credits_clawed_back")).toHaveLength(steps[0]!.n);
    await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${s.user.id}/forgive`, { reason: "test" });
  });

  it("a purchase refund mails the same way (one algorithm, one email per step)", async () => {
    const u = await bed.p.user();
    const r = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await bed.send(...bed.stripe.completeCheckout(r.body.session_id));
    const refund = bed.stripe.refund(r.body.session_id, 1000);
    await bed.send(refund);
    expect((await bed.stripe.deliver(bed.p.url, refund)).status).toBe(200);
    const mails = await waitForMail(bed, await emailOf(bed, u.id), "credits_clawed_back");
    expect(mails[0]!.text).toContain("Because your purchase of 100 credits was refunded, the 100 credits it paid for are no longer yours.");
    expect(await notes(u.id, "credits_clawed_back")).toHaveLength(1);
  });

  it("a charge that paid neither a purchase nor a subscription invoice is not a credit purchase", async () => {
    const charge = { id: bed.stripe.id("ch"), object: "charge", amount: 500, amount_refunded: 500, refunded: true, payment_intent: null, metadata: {}, currency: "usd" };
    bed.stripe.charges.set(charge.id, charge);
    const e = bed.stripe.event("charge.refunded", charge);
    await bed.send(e);
    expect(await outcomeOf(e.id)).toBe("not_a_credit_purchase");
  });
});

describe("chargebacks of a subscription invoice", () => {
  it("opened: the period's remaining credits are frozen and the account paused (mailed once); lost: taken back, the spent part owed", async () => {
    const s = await subscribed();
    await spend(s.user.key, 50);
    const invoice = latestInvoice(s);
    const { dispute, event } = bed.stripe.openInvoiceDispute(invoice);
    await bed.send(event);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 150, debt: 0, status: "paused" });
    const refused = await submit(s.user.key);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: "account_paused", details: { reason: "chargeback", stripe_dispute_id: dispute.id } });
    // Replays (same event, a new one) freeze and mail nothing more.
    expect((await bed.stripe.deliver(bed.p.url, event)).status).toBe(200);
    await bed.send(bed.stripe.event("charge.dispute.created", dispute));
    const frozenMail = await waitForMail(bed, await emailOf(bed, s.user.id), "chargeback_frozen");
    expect(await notes(s.user.id, "chargeback_frozen")).toHaveLength(1);
    expect(frozenMail[0]!.subject).toBe("Chargeback opened: 150 credits frozen, account paused");
    expect(frozenMail[0]!.text).toContain("Your bank opened a chargeback on your Starter plan payment.");
    expect(frozenMail[0]!.text).toContain(`${PUBLIC_URL}/`);

    const lost = bed.stripe.closeDispute(dispute.id, "lost");
    await bed.send(lost);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 0, debt: 50, status: "active" });
    const refusedAgain = await submit(s.user.key);
    expect(refusedAgain.status).toBe(402);
    expect(refusedAgain.body.error.details).toMatchObject({ debt: 50, reason: "debt" });
    const [d] = await bed.q(`SELECT reason, amount FROM credit_debts WHERE user_id = $1`, [s.user.id]);
    expect(d).toEqual({ reason: "chargeback", amount: "50" });
    expect((await bed.stripe.deliver(bed.p.url, lost)).status).toBe(200);
    await bed.send(bed.stripe.event("charge.dispute.closed", dispute));
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "credits_clawed_back");
    expect(await notes(s.user.id, "credits_clawed_back")).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Chargeback: 50 credits owed");
    expect(mails[0]!.text).toContain("150 credits were taken back from your balance.");
  });

  it("opened before the renewal was granted: the renewal is frozen when it is granted; won gives it back", async () => {
    const s = await subscribed();
    await spend(s.user.key, 200);
    const renewal = bed.stripe.renew(s.subId);
    bed.clock.set(new Date(bed.stripe.now * 1000));
    const { dispute, event } = bed.stripe.openInvoiceDispute(renewal.invoiceObj.id);
    await bed.send(event);
    expect(await outcomeOf(event.id)).toMatch(/recorded_awaiting_grant/);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 0, status: "active" });
    await bed.send(renewal.updated, renewal.invoice);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 200, status: "paused" });
    await waitForMail(bed, await emailOf(bed, s.user.id), "chargeback_frozen");
    await bed.send(bed.stripe.closeDispute(dispute.id, "won"));
    expect(await balance(s.user.key)).toMatchObject({ posted: 200, frozen: 0, debt: 0, status: "active" });
  });

  it("won: the frozen credits come back with the period's expiry and the account resumes", async () => {
    const s = await subscribed();
    await spend(s.user.key, 30);
    const { dispute, event } = bed.stripe.openInvoiceDispute(latestInvoice(s));
    await bed.send(event);
    expect(await balance(s.user.key)).toMatchObject({ posted: 0, frozen: 170, status: "paused" });
    await bed.send(bed.stripe.closeDispute(dispute.id, "won"));
    expect(await balance(s.user.key)).toMatchObject({ posted: 170, frozen: 0, debt: 0, status: "active" });
    const lots = await bed.q<{ category: string; expires_at: Date | null; remaining: string }>(
      `SELECT l.category, l.expires_at, l.remaining FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id WHERE a.user_id = $1 ORDER BY l.created_at`,
      [s.user.id]);
    expect(lots).toHaveLength(2);
    expect(lots[1]).toMatchObject({ category: "subscription", remaining: "170" });
    expect(lots[1]!.expires_at?.getTime()).toBe(lots[0]!.expires_at?.getTime());
    expect(await history(s.user.key)).toEqual([["subscription", 200], ["consume", 30], ["adjustment", 170], ["adjustment", 170]]);
    expect((await submit(s.user.key)).status).toBe(202);
    expect(await notes(s.user.id, "credits_clawed_back")).toHaveLength(0);
    // The user hears it is over, once, however often Stripe says so.
    await bed.send(bed.stripe.event("charge.dispute.closed", bed.stripe.disputes.get(dispute.id)!));
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "chargeback_won");
    expect(await notes(s.user.id, "chargeback_won")).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Chargeback closed: 170 credits back, account resumed");
    expect(mails[0]!.text).toContain("The chargeback on your Starter plan payment was decided in our favour and is closed.");
    expect(mails[0]!.text).toContain(`${PUBLIC_URL}/`);
  });
});

describe("ledger:check", () => {
  it("notices an invoice's reclaimed credits that are neither clawed back nor a debt", async () => {
    const s = await subscribed();
    await spend(s.user.key, 10);
    const invoice = latestInvoice(s);
    await bed.send(bed.stripe.refundInvoice(invoice, 1999));
    const qr = bed.p.ctx.ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    try {
      await qr.query(`UPDATE purchase_reversals SET reclaimed_credits = reclaimed_credits + 1 WHERE stripe_invoice_id = $1`, [invoice]);
      const problems = (await ledger.checkLedger(qr.manager)).problems;
      expect(problems).toEqual([
        expect.objectContaining({ subject: `invoice ${invoice}`, expected: "reclaimed 201", found: "clawed back 190 + debt 10" }),
        expect.objectContaining({ subject: `invoice ${invoice}`, expected: "reclaimed 201", found: "reclaimed by type 200" }),
      ]);
      // Per credit type: a type's record that its clawbacks and debts do not back.
      await qr.query(`UPDATE purchase_reversals SET reclaimed_credits = reclaimed_credits - 1 WHERE stripe_invoice_id = $1`, [invoice]);
      await qr.query(`UPDATE purchase_reversal_types SET reclaimed_credits = reclaimed_credits - 1
                       WHERE reversal_id = (SELECT id FROM purchase_reversals WHERE stripe_invoice_id = $1)`, [invoice]);
      const perType = (await ledger.checkLedger(qr.manager)).problems;
      expect(perType).toEqual(expect.arrayContaining([
        expect.objectContaining({ subject: `invoice ${invoice} standard`, expected: "reclaimed 199", found: "clawed back 190 + debt 10" }),
      ]));
    } finally {
      await qr.rollbackTransaction();
      await qr.release();
    }
    // Settle the debt so later tests' gauge arithmetic starts from a clean slate.
    await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${s.user.id}/forgive`, { reason: "test" });
  });
});
