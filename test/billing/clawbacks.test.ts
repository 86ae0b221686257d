/**
 * Stripe refunds and chargebacks of credit purchases (issue 14 §2): signed
 * events through the real webhook and stripe-events worker, the loopback
 * Stripe fake re-read by the handlers. Credits come back from the purchase's
 * lot; what was spent becomes a debt that refuses new work (402, reason
 * `debt`) until a purchase repays it or an admin forgives it; a chargeback
 * freezes and pauses, won gives back, lost takes back. `ledger:check` is
 * clean after every scenario.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { type BillingBed, billingCalls, startBillingBed } from "./harness";

let bed: BillingBed;
let admin: { id: string; key: string };
beforeAll(async () => {
  bed = await startBillingBed();
  admin = await bed.p.user({ role: "admin" });
  const promo = await bed.p.api(admin.key, "POST", "/api/v1/admin/promotions", { code: "HALFOFF", kind: "percent", percent_off: 50 });
  expect(promo.status, JSON.stringify(promo.body)).toBe(201);
});
afterAll(async () => {
  await bed?.close();
});
afterEach(async () => {
  const report = await bed.p.ctx.ds.transaction("REPEATABLE READ", (m) => ledger.checkLedger(m));
  expect(report.problems).toEqual([]);
});

interface Bought {
  sessionId: string;
  checkoutId: string;
}

/** Start a purchase and pay for it; `deliver: false` leaves checkout.session.completed undelivered (returned). */
async function buy(key: string, credits: number, opts: { promo?: string; deliver?: boolean } = {}) {
  const r = await bed.p.api(key, "POST", "/api/v1/credits/purchase", { credits, ...(opts.promo ? { promo_code: opts.promo } : {}) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const events = bed.stripe.completeCheckout(r.body.session_id);
  if (opts.deliver !== false) await bed.send(...events);
  return { sessionId: r.body.session_id as string, checkoutId: r.body.id as string, events };
}

const { spend, balance, history, submit, outcomeOf } = billingCalls(() => bed);

describe("refunds", () => {
  it("a full refund of an unspent purchase takes every credit back; a replay takes nothing", async () => {
    const u = await bed.p.user();
    const b: Bought = await buy(u.key, 100);
    expect((await balance(u.key)).posted).toBe(100);
    const refund = bed.stripe.refund(b.sessionId, 1000);
    await bed.send(refund);
    expect(await balance(u.key)).toMatchObject({ posted: 0, available: 0, debt: 0, frozen: 0, status: "active" });
    expect(await history(u.key)).toEqual([["purchase", 100], ["clawback", 100]]);
    // The same event again (Stripe retries) is deduplicated; a new event with the same refund changes nothing either.
    expect((await bed.stripe.deliver(bed.p.url, refund)).status).toBe(200);
    await bed.send(bed.stripe.event("charge.refunded", bed.stripe.chargeOf(b.sessionId)));
    expect(await history(u.key)).toEqual([["purchase", 100], ["clawback", 100]]);
    // An unspent refund leaves nothing owed: the user can buy and work again.
    await buy(u.key, 100);
    expect((await submit(u.key)).status).toBe(202);
  });

  it("a half-spent purchase: the rest is taken, the spent part is a debt that refuses work until a purchase repays it", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    await spend(u.key, 60);
    await bed.send(bed.stripe.refund(b.sessionId, 1000));
    expect(await balance(u.key)).toMatchObject({ posted: 0, debt: 60, frozen: 0, status: "active" });
    const debts = await bed.q<{ amount: string; reason: string; checkout_id: string }>(`SELECT amount, reason, checkout_id FROM credit_debts WHERE user_id = $1`, [u.id]);
    expect(debts).toEqual([{ amount: "60", reason: "refund", checkout_id: b.checkoutId }]);

    // Refused clearly everywhere credits could be spent, even with credits available.
    await bed.p.api(admin.key, "POST", "/api/v1/admin/credits/add", { user_id: u.id, amount: 10, description: "goodwill" });
    const job = await submit(u.key);
    expect(job.status).toBe(402);
    expect(job.body.error).toMatchObject({ code: "insufficient_credits", details: { debt: 60, reason: "debt", required: 1, available: 10 } });
    expect(job.body.error.message).toMatch(/owes 60 credits/);
    const hold = await bed.p.api(u.key, "POST", "/api/v1/holds", { credits: 1 });
    expect(hold.status).toBe(402);
    expect(hold.body.error.details).toMatchObject({ debt: 60, reason: "debt" });
    expect((await bed.p.api(u.key, "POST", "/api/v1/credits/consume", { credits: 1, description: "x" })).status).toBe(402);
    expect((await bed.p.api(u.key, "GET", "/api/v1/credits/check?credits=1")).body.affordable).toBe(false);
    expect(await bed.q(`SELECT 1 FROM jobs WHERE user_id = $1`, [u.id])).toEqual([]);

    // The next purchase pays the debt first (a clawback transfer from the new lot), the rest is the user's.
    await buy(u.key, 100);
    expect(await balance(u.key)).toMatchObject({ posted: 50, debt: 0 });
    // One transaction, one timestamp: the two come back in either order.
    expect((await history(u.key)).slice(-2)).toEqual(expect.arrayContaining([["purchase", 100], ["clawback", 60]]));
    expect((await submit(u.key)).status).toBe(202);
  });

  it("partial refunds of a discounted purchase take back proportionally, each only the difference; replays take nothing", async () => {
    const u = await bed.p.user();
    // 100 credits for $5.00 (half off): 1 credit = 5 cents paid.
    const b = await buy(u.key, 100, { promo: "HALFOFF" });
    const [c] = await bed.q<{ total_cents: number }>(`SELECT total_cents FROM checkouts WHERE id = $1`, [b.checkoutId]);
    expect(c!.total_cents).toBe(500);
    const first = bed.stripe.refund(b.sessionId, 100);
    await bed.send(first);
    expect((await balance(u.key)).posted).toBe(80);
    const second = bed.stripe.refund(b.sessionId, 150);
    await bed.send(second);
    expect((await balance(u.key)).posted).toBe(50);
    // Replays: the first event again (deduplicated), and an old snapshot under a new id (re-read: cumulative 250 cents, already taken).
    expect((await bed.stripe.deliver(bed.p.url, first)).status).toBe(200);
    const stale = bed.stripe.event("charge.refunded", { ...bed.stripe.chargeOf(b.sessionId), amount_refunded: 100 });
    await bed.send(stale);
    expect(await outcomeOf(stale.id)).toMatch(/no_change/);
    expect(await history(u.key)).toEqual([["purchase", 100], ["clawback", 20], ["clawback", 30]]);
    expect(await balance(u.key)).toMatchObject({ posted: 50, debt: 0 });
    const [rev] = await bed.q<{ refunded_cents: string; reclaimed_credits: string }>(`SELECT refunded_cents, reclaimed_credits FROM purchase_reversals WHERE checkout_id = $1`, [b.checkoutId]);
    expect(rev).toEqual({ refunded_cents: "250", reclaimed_credits: "50" });
  });

  it("concurrent deliveries of refund and dispute events for one purchase take back exactly once", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    await spend(u.key, 20);
    bed.stripe.refund(b.sessionId, 400);
    const { dispute } = bed.stripe.openDispute(b.sessionId, 600);
    bed.stripe.closeDispute(dispute.id, "lost");
    const charge = bed.stripe.chargeOf(b.sessionId);
    // Distinct event ids (no dedupe): the stripe-events worker runs them side by side.
    const events = [
      ...Array.from({ length: 4 }, () => bed.stripe.event("charge.refunded", charge)),
      ...Array.from({ length: 2 }, () => bed.stripe.event("charge.dispute.created", dispute)),
      ...Array.from({ length: 2 }, () => bed.stripe.event("charge.dispute.closed", dispute)),
    ];
    await Promise.all(events.map((e) => bed.send(e)));
    // 400 + 600 cents = the whole $10.00: all 100 credits reclaimed — 80 taken, 20 owed — once.
    expect(await balance(u.key)).toMatchObject({ posted: 0, frozen: 0, debt: 20, status: "active" });
    const [t] = await bed.q<{ n: number; sum: string }>(`SELECT count(*)::int AS n, sum(amount)::text AS sum FROM ledger_transfers WHERE user_id = $1 AND type = 'clawback'`, [u.id]);
    expect(t!.sum).toBe("80");
    const [d] = await bed.q<{ sum: string }>(`SELECT sum(amount)::text AS sum FROM credit_debts WHERE user_id = $1`, [u.id]);
    expect(d!.sum).toBe("20");
  });

  it("a refund that arrives before the purchase was granted takes effect when it is", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100, { deliver: false });
    const refund = bed.stripe.refund(b.sessionId, 1000);
    await bed.send(refund);
    expect(await outcomeOf(refund.id)).toMatch(/recorded_awaiting_purchase/);
    expect(await balance(u.key)).toMatchObject({ posted: 0, debt: 0 });
    await bed.send(...b.events);
    expect(await balance(u.key)).toMatchObject({ posted: 0, debt: 0 });
    // Granted and taken back in one transaction (one timestamp): in either order.
    expect((await history(u.key)).sort()).toEqual([["clawback", 100], ["purchase", 100]]);
  });

  it("feeds the clawed-back money metric", async () => {
    const r = await fetch(`${bed.p.url}/metrics`, { headers: { authorization: `Bearer ${admin.key}` } });
    expect(r.status).toBe(200);
    const line = (await r.text()).split("\n").find((l) => l.startsWith(`holdfast_credits_total{type="clawback"`));
    expect(line).toBeDefined();
    expect(Number(line!.split(" ").pop())).toBeGreaterThan(0);
  });
});

describe("ledger:check", () => {
  it("notices a reclaimed amount that is neither clawed back nor a debt, and a repayment without its transfer", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    await spend(u.key, 10);
    await bed.send(bed.stripe.refund(b.sessionId, 1000));
    const problems = async (corrupt: string, params: unknown[]) => {
      const qr = bed.p.ctx.ds.createQueryRunner();
      await qr.connect();
      await qr.startTransaction();
      try {
        await qr.query(corrupt, params);
        return (await ledger.checkLedger(qr.manager)).problems.map((p) => p.invariant);
      } finally {
        await qr.rollbackTransaction();
        await qr.release();
      }
    };
    expect(await problems(`UPDATE purchase_reversals SET reclaimed_credits = reclaimed_credits + 1 WHERE checkout_id = $1`, [b.checkoutId]))
      .toEqual([
        expect.stringMatching(/reclaimed credits equal its clawback transfers plus its recorded debts/),
        // ... and no longer the sum of its per-credit-type records.
        expect.stringMatching(/reclaimed credits of a type equal its clawback transfers plus its debts of that type, and sum to its total/),
      ]);
    expect(await problems(`UPDATE credit_debts SET repaid = 5 WHERE user_id = $1`, [u.id]))
      .toEqual([expect.stringMatching(/repaid debt equals the clawback transfers/)]);
  });
});

describe("forgiving a debt", () => {
  it("an admin clears it (audited with before/after and request id); a user key is 403; nothing owed is 409", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    await spend(u.key, 30);
    await bed.send(bed.stripe.refund(b.sessionId, 1000));
    expect((await balance(u.key)).debt).toBe(30);
    expect((await submit(u.key)).status).toBe(402);

    const byUser = await bed.p.api(u.key, "POST", `/api/v1/admin/users/${u.id}/forgive`, { reason: "please" });
    expect(byUser.status).toBe(403);
    expect((await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${u.id}/forgive`, {})).status).toBe(400);
    const view = await bed.p.api(admin.key, "GET", `/api/v1/admin/users/${u.id}`);
    expect(view.body).toMatchObject({ debt: 30, frozen: 0, pause_reason: null });

    const ok = await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${u.id}/forgive`, { reason: "Bank error on their side" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toEqual({ user_id: u.id, forgiven: 30, debt: 0 });
    const audit = await bed.p.api(admin.key, "GET", `/api/v1/admin/audit?user_id=${u.id}`);
    expect(audit.body.data).toEqual([expect.objectContaining({
      action: "debt.forgive", actor_id: admin.id, user_id: u.id, reason: "Bank error on their side",
      before: expect.objectContaining({ debt: 30 }), after: { debt: 0 }, request_id: ok.headers.get("x-request-id"),
    })]);
    expect((await balance(u.key)).debt).toBe(0);

    const again = await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${u.id}/forgive`, { reason: "again" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_state");
    expect((await bed.p.api(admin.key, "POST", `/api/v1/admin/users/00000000-0000-4000-8000-000000000000/forgive`, { reason: "x" })).status).toBe(404);
    await bed.p.api(admin.key, "POST", "/api/v1/admin/credits/add", { user_id: u.id, amount: 5, description: "to work" });
    expect((await submit(u.key)).status).toBe(202);
  });
});

describe("chargebacks", () => {
  it("opened: the purchase's remaining credits are frozen and the account paused; won: given back and resumed", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    await spend(u.key, 30);
    const { dispute, event } = bed.stripe.openDispute(b.sessionId);
    await bed.send(event);
    expect(await balance(u.key)).toMatchObject({ posted: 0, available: 0, frozen: 70, debt: 0, status: "paused" });
    const view = await bed.p.api(admin.key, "GET", `/api/v1/admin/users/${u.id}`);
    expect(view.body).toMatchObject({ status: "paused", pause_reason: `chargeback:${dispute.id}`, frozen: 70 });
    const refused = await submit(u.key);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: "account_paused", details: { reason: "chargeback", stripe_dispute_id: dispute.id } });
    expect(refused.body.error.message).toMatch(/chargeback/);
    const hold = await bed.p.api(u.key, "POST", "/api/v1/holds", { credits: 1 });
    expect(hold.body.error).toMatchObject({ code: "account_paused", details: { reason: "chargeback" } });
    // A replay of the opening freezes nothing more.
    await bed.send(bed.stripe.event("charge.dispute.created", dispute));

    await bed.send(bed.stripe.closeDispute(dispute.id, "won"));
    expect(await balance(u.key)).toMatchObject({ posted: 70, frozen: 0, debt: 0, status: "active" });
    expect(await history(u.key)).toEqual([["purchase", 100], ["consume", 30], ["adjustment", 70], ["adjustment", 70]]);
    expect((await submit(u.key)).status).toBe(202);
  });

  it("lost: the frozen credits are taken back first, the spent part becomes a debt, and the account's own pause is lifted", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    await spend(u.key, 30);
    const { dispute, event } = bed.stripe.openDispute(b.sessionId);
    await bed.send(event);
    expect((await balance(u.key)).frozen).toBe(70);
    await bed.send(bed.stripe.closeDispute(dispute.id, "lost"));
    expect(await balance(u.key)).toMatchObject({ posted: 0, frozen: 0, debt: 30, status: "active" });
    // Unfrozen and taken back in one transaction (one timestamp): in either order.
    expect((await history(u.key)).slice(-3).sort()).toEqual([["adjustment", 70], ["adjustment", 70], ["clawback", 70]]);
    const refused = await submit(u.key);
    expect(refused.status).toBe(402);
    expect(refused.body.error.details).toMatchObject({ debt: 30, reason: "debt" });
    const [d] = await bed.q<{ reason: string; amount: string }>(`SELECT reason, amount FROM credit_debts WHERE user_id = $1`, [u.id]);
    expect(d).toEqual({ reason: "chargeback", amount: "30" });
  });

  it("won does not lift an admin's pause", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    const { dispute, event } = bed.stripe.openDispute(b.sessionId);
    await bed.send(event);
    await bed.p.api(admin.key, "POST", "/api/v1/admin/credits/resume", { user_id: u.id });
    await bed.p.api(admin.key, "POST", "/api/v1/admin/credits/pause", { user_id: u.id, reason: "fraud review" });
    await bed.send(bed.stripe.closeDispute(dispute.id, "won"));
    expect(await balance(u.key)).toMatchObject({ posted: 100, frozen: 0, status: "paused" });
    expect((await bed.p.api(admin.key, "GET", `/api/v1/admin/users/${u.id}`)).body.pause_reason).toBe("admin: fraud review");
  });

  it("out of order: closed (lost) before created takes back once and never freezes or pauses", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    await spend(u.key, 40);
    const { dispute, event: created } = bed.stripe.openDispute(b.sessionId);
    const closed = bed.stripe.closeDispute(dispute.id, "lost");
    await bed.send(closed);
    expect(await balance(u.key)).toMatchObject({ posted: 0, frozen: 0, debt: 40, status: "active" });
    await bed.send(created);
    expect(await outcomeOf(created.id)).toMatch(/lost;no_change/);
    expect(await balance(u.key)).toMatchObject({ posted: 0, frozen: 0, debt: 40, status: "active" });
    expect(await history(u.key)).toEqual([["purchase", 100], ["consume", 40], ["clawback", 60]]);
  });

  it("a chargeback opened before the purchase was granted freezes it when it is", async () => {
    const u = await bed.p.user();
    const b = await buy(u.key, 100, { deliver: false });
    const { dispute, event } = bed.stripe.openDispute(b.sessionId);
    await bed.send(event);
    expect(await balance(u.key)).toMatchObject({ posted: 0, status: "active" });
    await bed.send(...b.events);
    expect(await balance(u.key)).toMatchObject({ posted: 0, frozen: 100, status: "paused" });
    await bed.send(bed.stripe.closeDispute(dispute.id, "won"));
    expect(await balance(u.key)).toMatchObject({ posted: 100, frozen: 0, status: "active" });
  });
});
