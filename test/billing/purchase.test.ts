/**
 * Buying credits: packages, quotes, Stripe Checkout, and the signed webhook
 * that is the only way purchased credits come in — once per paid session.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billingRelayTask } from "../../src/billing/tasks/relay";
import { startStripeEventWorker } from "../../src/workers/stripe-event-worker";
import { FAKE_WEBHOOK_SECRET } from "../helpers/fake-stripe";
import { waitFor } from "../helpers/platform";
import { type BillingBed, emailOf, startBillingBed, waitForMail } from "./harness";

let bed: BillingBed;
let admin: { id: string; key: string };
beforeAll(async () => {
  bed = await startBillingBed();
  admin = await bed.p.user({ role: "admin" });
});
afterAll(async () => {
  await bed?.close();
});

const counts = async () =>
  (await bed.q<{ events: number; checkouts: number; transfers: number; redemptions: number }>(
    `SELECT (SELECT count(*) FROM stripe_events)::int AS events, (SELECT count(*) FROM checkouts)::int AS checkouts,
            (SELECT count(*) FROM ledger_transfers)::int AS transfers, (SELECT count(*) FROM promotion_redemptions)::int AS redemptions`,
  ))[0]!;

async function promo(body: Record<string, unknown>) {
  const r = await bed.p.api(admin.key, "POST", "/api/v1/admin/promotions", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

describe("packages", () => {
  it("lists Starter, Professional and Enterprise with price, credits, features and rollover", async () => {
    const u = await bed.p.user();
    const r = await bed.p.api(u.key, "GET", "/api/v1/packages");
    expect(r.status).toBe(200);
    expect(r.body.next_cursor).toBeNull();
    expect(r.body.data.map((p: { code: string; price: string; price_cents: number; credits: number; rollover: boolean }) => [p.code, p.price, p.price_cents, p.credits, p.rollover])).toEqual([
      ["starter", "19.99", 1999, 200, false],
      ["professional", "49.99", 4999, 600, false],
      ["enterprise", "99.99", 9999, 1500, true],
    ]);
    for (const p of r.body.data) expect(p.features.length).toBeGreaterThan(2);
  });
});

describe("quotes", () => {
  it("prices with the bulk tier and a promotion code, and changes nothing", async () => {
    const u = await bed.p.user();
    await promo({ code: "TENOFF", kind: "percent", percent_off: 10 });
    const before = await counts();
    const r = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase/validate", { credits: 1000, promo_code: "tenoff" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // base 1000 × $0.10 = $100.00; bulk 5% = $5.00; promo 10% of $95.00 = $9.50.
    expect(r.body).toMatchObject({
      credits: 1000, usd_per_credit: "0.10", base_cents: 10000, base: "100.00", bulk_discount_cents: 500, subscriber_discount_cents: 0,
      promo_discount_cents: 950, discount_cents: 1450, total_cents: 8550, total: "85.50", promo_code: "TENOFF",
    });
    expect(r.body.discounts.map((d: { type: string }) => d.type)).toEqual(["bulk", "promotion"]);
    expect(await counts()).toEqual(before);
  });

  it("refuses bad amounts and unusable codes with 400 naming the field", async () => {
    const u = await bed.p.user();
    await promo({ code: "OLDCODE", kind: "fixed", amount_off_cents: 100, starts_at: "2020-01-01T00:00:00Z", ends_at: "2020-02-01T00:00:00Z" });
    await promo({ code: "BIGONLY", kind: "fixed", amount_off_cents: 100, min_credits: 5000 });
    const cases: [unknown, string, RegExp][] = [
      [{ credits: 5 }, "credits", /at least 10/],
      [{ credits: 12.5 }, "credits", /whole number/],
      [{ credits: "100" }, "credits", /number/],
      [{ credits: 100, promo_code: "NOPE" }, "promo_code", /does not exist/],
      [{ credits: 100, promo_code: "OLDCODE" }, "promo_code", /expired/],
      [{ credits: 100, promo_code: "BIGONLY" }, "promo_code", /at least 5000/],
      [{ credits: 100, extra: 1 }, "", /not valid/],
    ];
    for (const [body, path, message] of cases) {
      const r = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase/validate", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("invalid_request");
      expect(`${r.body.error.message} ${JSON.stringify(r.body.error.details)}`).toMatch(message);
      if (path) expect(r.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
  });

  it("applies the active subscriber's plan discount", async () => {
    const u = await bed.p.user();
    const a = await bed.p.api(admin.key, "POST", `/api/v1/admin/users/${u.id}/plan`, { package_id: "professional" });
    expect(a.status).toBe(201);
    const r = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase/validate", { credits: 100 });
    // $10.00 base, 10% Professional subscriber discount.
    expect(r.body).toMatchObject({ base_cents: 1000, subscriber_discount_cents: 100, total_cents: 900 });
  });
});

describe("checkout and webhook", () => {
  it("validate → checkout → signed checkout.session.completed → credits granted once; a replay does nothing", async () => {
    const u = await bed.p.user();
    const email = await emailOf(bed, u.id);
    const body = { credits: 500, success_url: "https://example.com/ok?s={CHECKOUT_SESSION_ID}", cancel_url: "https://example.com/no" };
    const q = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase/validate", { credits: 500 });
    expect(q.body.total_cents).toBe(5000);

    const first = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", body, { "Idempotency-Key": "buy-500" });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ mode: "payment", status: "open", credits: 500, total_cents: 5000, total: "50.00" });
    expect(first.body.checkout_url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
    // The same request again: the same session, no second one at Stripe.
    const again = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", body, { "Idempotency-Key": "buy-500" });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.session_id).toBe(first.body.session_id);
    const created = bed.stripe.calls(/^\/v1\/checkout\/sessions$/, "POST").filter((c) => c.body.client_reference_id === first.body.id);
    expect(created).toHaveLength(1);
    expect(created[0]!.body.line_items[0].price_data.unit_amount).toBe("5000");
    expect(created[0]!.idempotencyKey).toBe(`holdfast-checkout-${first.body.id}`);
    // Same key, different body: 409.
    const conflict = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { ...body, credits: 600 }, { "Idempotency-Key": "buy-500" });
    expect(conflict.status).toBe(409);

    expect((await bed.balance(u.id)).available).toBe(0); // nothing before Stripe says paid

    const [completed] = bed.stripe.completeCheckout(first.body.session_id);
    await bed.send(completed!);
    expect(await bed.balance(u.id)).toMatchObject({ available: 500, posted: 500 });
    const lots = await bed.q<{ category: string; expires_at: Date | null; amount: string }>(
      `SELECT l.category, l.expires_at, l.amount FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id WHERE a.user_id = $1`, [u.id],
    );
    expect(lots).toEqual([{ category: "purchase", expires_at: null, amount: "500" }]);
    const tx = await bed.p.api(u.key, "GET", "/api/v1/credits/transactions");
    expect(tx.body.data.map((t: { type: string; amount: number }) => [t.type, t.amount])).toEqual([["purchase", 500]]);
    const view = await bed.p.api(u.key, "GET", `/api/v1/credits/purchases/${first.body.id}`);
    expect(view.body.status).toBe("complete");

    // Stripe retries the very same event: acknowledged, nothing changes.
    const replay = await bed.stripe.deliver(bed.p.url, completed!);
    expect(replay).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    // A different event about the same paid session (async_payment_succeeded) grants nothing more either.
    await bed.send(bed.stripe.event("checkout.session.async_payment_succeeded", bed.stripe.sessions.get(first.body.session_id)!));
    expect((await bed.balance(u.id)).available).toBe(500);

    await waitForMail(bed, email, "purchase_receipt");
    await new Promise((r) => setTimeout(r, 300));
    expect(bed.smtp.to(email, "purchase_receipt")).toHaveLength(1);
    expect(bed.smtp.to(email, "purchase_receipt")[0]!.text).toContain("500 credits have been added");
  });

  it("a bad, foreign or stale signature is 400 and changes nothing", async () => {
    const u = await bed.p.user();
    const r = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100 });
    const [completed] = bed.stripe.completeCheckout(r.body.session_id);
    const before = await counts();
    const payload = JSON.stringify(completed);

    const forged = payload.replace('"amount_total":1000', '"amount_total":1');
    expect(forged).not.toBe(payload);
    const tampered = await bed.stripe.deliver(bed.p.url, forged, {
      signature: (await import("stripe")).default.webhooks.generateTestHeaderString({ payload, secret: FAKE_WEBHOOK_SECRET }),
    });
    const foreign = await bed.stripe.deliver(bed.p.url, completed!, { secret: "whsec_someone_else" });
    const stale = await bed.stripe.deliver(bed.p.url, completed!, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const unsigned = await fetch(`${bed.p.url}/api/v1/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json" }, body: payload });
    for (const res of [tampered, foreign, stale]) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
    expect(unsigned.status).toBe(400);
    expect(await counts()).toEqual(before);
    expect((await bed.balance(u.id)).available).toBe(0);
  });

  it("grants nothing for a session that completed unpaid, then grants when Stripe reports it paid", async () => {
    const u = await bed.p.user();
    const r = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100 });
    const [completed] = bed.stripe.completeCheckout(r.body.session_id, { paid: false });
    await bed.send(completed!);
    expect((await bed.balance(u.id)).available).toBe(0);
    bed.stripe.sessions.get(r.body.session_id)!.payment_status = "paid";
    await bed.send(bed.stripe.event("checkout.session.async_payment_succeeded", bed.stripe.sessions.get(r.body.session_id)!));
    expect((await bed.balance(u.id)).available).toBe(100);
  });

  it("a promotion's usage limit holds across open checkouts; an expired checkout gives its use back", async () => {
    const a = await bed.p.user();
    const b = await bed.p.user();
    await promo({ code: "ONCE", kind: "fixed", amount_off_cents: 300, max_redemptions: 1 });
    const ra = await bed.p.api(a.key, "POST", "/api/v1/credits/purchase", { credits: 100, promo_code: "ONCE" });
    expect(ra.status).toBe(201);
    expect(ra.body.total_cents).toBe(700);
    const rb = await bed.p.api(b.key, "POST", "/api/v1/credits/purchase/validate", { credits: 100, promo_code: "ONCE" });
    expect(rb.status).toBe(400);
    expect(rb.body.error.message).toMatch(/used up/);

    const s = bed.stripe.sessions.get(ra.body.session_id)!;
    s.status = "expired";
    await bed.send(bed.stripe.event("checkout.session.expired", s));
    const view = await bed.p.api(a.key, "GET", `/api/v1/credits/purchases/${ra.body.id}`);
    expect(view.body.status).toBe("expired");
    const rb2 = await bed.p.api(b.key, "POST", "/api/v1/credits/purchase", { credits: 100, promo_code: "ONCE" });
    expect(rb2.status).toBe(201);
    await bed.send(...bed.stripe.completeCheckout(rb2.body.session_id));
    expect((await bed.balance(b.id)).available).toBe(100);
    const used = await bed.q<{ status: string }>(`SELECT r.status FROM promotion_redemptions r JOIN promotions p ON p.id = r.promotion_id WHERE p.code = 'ONCE' ORDER BY r.created_at`);
    expect(used.map((x) => x.status)).toEqual(["released", "redeemed"]);
  });

  it("Stripe down: 503, and a retry with the same Idempotency-Key makes exactly one session", async () => {
    const u = await bed.p.user();
    // The SDK retries twice itself; three failures reach the caller.
    for (let i = 0; i < 3; i++) bed.stripe.failNext(/^\/v1\/checkout\/sessions$/);
    const down = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100 }, { "Idempotency-Key": "flaky" });
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe("unavailable");
    const up = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100 }, { "Idempotency-Key": "flaky" });
    expect(up.status).toBe(200); // the replay of the first request, now completed
    expect(up.body.checkout_url).toBeTruthy();
    const rows = await bed.q<{ n: number }>(`SELECT count(*)::int AS n FROM checkouts WHERE user_id = $1`, [u.id]);
    expect(rows[0]!.n).toBe(1);
  });

  it("Stripe refusing a session closes the checkout and gives its promotion use back", async () => {
    const u = await bed.p.user();
    await promo({ code: "REFUSED", kind: "percent", percent_off: 5, max_redemptions: 1 });
    bed.stripe.failNext(/^\/v1\/checkout\/sessions$/, 400, { type: "invalid_request_error", message: "Invalid currency" });
    const r = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100, promo_code: "REFUSED" }, { "Idempotency-Key": "refused" });
    expect(r.status).toBe(503);
    const again = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100, promo_code: "REFUSED" }, { "Idempotency-Key": "refused" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_state");
    // The use came back: the code works for a new purchase.
    const fresh = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100, promo_code: "REFUSED" });
    expect(fresh.status).toBe(201);
    expect(fresh.body.total_cents).toBe(950);
  });

  it("an event stored but lost from the queue is processed by the relay", async () => {
    const u = await bed.p.user();
    const r = await bed.p.api(u.key, "POST", "/api/v1/credits/purchase", { credits: 100 });
    const [completed] = bed.stripe.completeCheckout(r.body.session_id);
    await bed.events.close(5000);
    try {
      const res = await bed.stripe.deliver(bed.p.url, completed!);
      expect(res.status).toBe(200);
      await bed.p.ctx.queues.stripeEvents.obliterate({ force: true }); // Redis lost the job
      const relay = billingRelayTask();
      expect(await relay.run(bed.p.ctx, new Date())).toMatchObject({ events: 0 }); // too fresh: still on its normal path
      bed.events = startStripeEventWorker(bed.p.ctx);
      expect(await relay.run(bed.p.ctx, new Date(Date.now() + 120_000))).toMatchObject({ events: 1 });
      await waitFor(async () => ((await bed.balance(u.id)).available === 100 ? true : null), { what: "relayed event granted" });
    } finally {
      if (!bed.events.worker.isRunning()) bed.events = startStripeEventWorker(bed.p.ctx);
    }
  });
});

describe("without Stripe keys", () => {
  it("purchase, subscription and webhook answer 503; quotes and packages still work", async () => {
    const bare = await startBillingBed({ stripe: false });
    try {
      const u = await bare.p.user();
      expect((await bare.p.api(u.key, "GET", "/api/v1/packages")).status).toBe(200);
      expect((await bare.p.api(u.key, "POST", "/api/v1/credits/purchase/validate", { credits: 100 })).status).toBe(200);
      for (const [path, body] of [["/api/v1/credits/purchase", { credits: 100 }], ["/api/v1/subscriptions", { package_id: "starter" }]] as const) {
        const r = await bare.p.api(u.key, "POST", path, body);
        expect(r.status).toBe(503);
        expect(r.body.error).toMatchObject({ code: "unavailable" });
        expect(r.body.error.message).toMatch(/STRIPE_SECRET_KEY/);
      }
      const wh = await bare.stripe.deliver(bare.p.url, bare.stripe.event("invoice.paid", { id: "in_x" }));
      expect(wh.status).toBe(503);
      const n = await bare.q<{ n: number }>(`SELECT count(*)::int AS n FROM checkouts`);
      expect(n[0]!.n).toBe(0);
    } finally {
      await bare.close();
    }
  });
});
