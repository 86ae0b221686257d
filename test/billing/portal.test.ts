/**
 * POST /api/v1/billing/portal: Stripe's customer portal through the real SDK
 * against the loopback fake (200 with a URL, 409 without a Stripe customer,
 * 503 without Stripe), and the payment-failed email's link to it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingBed, emailOf, startBillingBed, waitForMail } from "./harness";

const PUBLIC_URL = "https://app.holdfast.test";
let bed: BillingBed;
beforeAll(async () => {
  bed = await startBillingBed({ env: { PUBLIC_URL } });
});
afterAll(async () => {
  await bed?.close();
});

/** A user subscribed to the Starter plan through Checkout (so a Stripe customer exists). */
async function subscriber() {
  const user = await bed.p.user();
  const r = await bed.p.api(user.key, "POST", "/api/v1/subscriptions", { package_id: "starter" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await bed.send(...bed.stripe.completeCheckout(r.body.session_id));
  const subId = bed.stripe.sessions.get(r.body.session_id)!.subscription as string;
  return { user, subId, customer: bed.stripe.subscriptions.get(subId)!.customer as string };
}

describe("POST /billing/portal", () => {
  it("returns a fresh portal session URL for the user's own Stripe customer, returning to the dashboard", async () => {
    const s = await subscriber();
    const r = await bed.p.api(s.user.key, "POST", "/api/v1/billing/portal");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(Object.keys(r.body)).toEqual(["url"]);
    expect(r.body.url).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    const call = bed.stripe.calls(/^\/v1\/billing_portal\/sessions$/, "POST").at(-1)!;
    expect(call.body).toEqual({ customer: s.customer, return_url: `${PUBLIC_URL}/` });
    // Short-lived sessions: each call opens a new one.
    const again = await bed.p.api(s.user.key, "POST", "/api/v1/billing/portal");
    expect(again.status).toBe(200);
    expect(again.body.url).not.toBe(r.body.url);
  });

  it("409 invalid_state for a user who never became a Stripe customer; nothing is sent to Stripe", async () => {
    const u = await bed.p.user({ credits: 10 });
    const before = bed.stripe.calls(/^\/v1\/billing_portal/).length;
    const r = await bed.p.api(u.key, "POST", "/api/v1/billing/portal");
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: "invalid_state" });
    expect(bed.stripe.calls(/^\/v1\/billing_portal/).length).toBe(before);
    expect(bed.stripe.calls(/^\/v1\/customers$/, "POST").some((c) => c.body.metadata?.user_id === u.id)).toBe(false);
  });

  it("503 unavailable when Stripe is down, without a stack trace", async () => {
    const s = await subscriber();
    bed.stripe.failNext(/^\/v1\/billing_portal\/sessions$/, 500);
    bed.stripe.failNext(/^\/v1\/billing_portal\/sessions$/, 500);
    bed.stripe.failNext(/^\/v1\/billing_portal\/sessions$/, 500);
    const r = await bed.p.api(s.user.key, "POST", "/api/v1/billing/portal");
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: "unavailable" });
    expect(r.headers.get("retry-after")).not.toBeNull(); // an outage: come back later
    expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it("needs an API key", async () => {
    const r = await bed.p.api("nope", "POST", "/api/v1/billing/portal");
    expect(r.status).toBe(401);
  });

  it("the payment-failed email links to the dashboard page that opens the portal", async () => {
    const s = await subscriber();
    const failed = bed.stripe.renew(s.subId, { paid: false });
    await bed.send(failed.updated, failed.invoice);
    const mails = await waitForMail(bed, await emailOf(bed, s.user.id), "payment_failed");
    expect(mails[0]!.text).toContain(`${PUBLIC_URL}/?portal=1`);
  });
});

describe("without Stripe", () => {
  it("503 unavailable", async () => {
    const bare = await startBillingBed({ stripe: false });
    try {
      const u = await bare.p.user();
      const r = await bare.p.api(u.key, "POST", "/api/v1/billing/portal");
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: "unavailable", details: { reason: "not_configured", setting: "STRIPE_SECRET_KEY" } });
      expect(r.body.error.message).toMatch(/STRIPE_SECRET_KEY/);
      expect(r.headers.get("retry-after")).toBeNull();
    } finally {
      await bare.close();
    }
  });
});
