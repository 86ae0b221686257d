/** OpenAPI for the billing routes (src/api/routes/billing.ts and stripe-webhook.ts). */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { API_BASE, documentRoute } from "../openapi-kit";
import { assignPlanBody, promotionBody, promotionPatchBody, purchaseBody, quoteBody, subscribeBody, thresholdBody } from "../../billing/schemas";

const TAG = "Billing";
const idempotency = z.object({
  "Idempotency-Key": z.string().min(1).max(255).optional().meta({ description: "Retry-safe: the same key and body returns the first checkout; another body is 409." }),
});

export function billingDocs(registry: OpenAPIRegistry): void {
  const doc = (d: Parameters<typeof documentRoute>[1]) => documentRoute(registry, d);
  doc({
    method: "get", path: `${API_BASE}/packages`, tags: [TAG], auth: "key", credits: 0, summary: "Plans",
    description: "Starter, Professional and Enterprise: monthly price (`price` dollars, `price_cents`), credits per period, features, whether unused credits roll over, and the discount on credit purchases while subscribed.",
    response: { status: 200, description: "`{ data: [package], next_cursor: null }`." }, errors: [],
  });
  doc({
    method: "post", path: `${API_BASE}/credits/purchase/validate`, tags: [TAG], auth: "key", credits: 0, summary: "Quote a credit purchase",
    description: "The full price breakdown (base, bulk discount, subscriber discount, promotion, total in cents and dollars). Changes nothing.",
    body: quoteBody, response: { status: 200, description: "The quote." }, errors: ["invalid_request"],
  });
  doc({
    method: "post", path: `${API_BASE}/credits/purchase`, tags: [TAG], auth: "key", credits: 0, summary: "Buy credits (Stripe Checkout)",
    description: "Creates a Stripe Checkout Session for the quoted total and returns its `checkout_url`. Credits are added when Stripe reports the payment (webhook), as purchased credits that never expire. "
      + "At most PURCHASE_RATE_LIMIT_PER_MINUTE per key (429 with Retry-After beyond).",
    body: purchaseBody, headers: idempotency, response: { status: 201, description: "The checkout (200 when an Idempotency-Key replays)." },
    errors: ["invalid_request", "account_paused", "idempotency_conflict", "rate_limited", "unavailable"],
  });
  doc({
    method: "get", path: `${API_BASE}/credits/purchases/:id`, tags: [TAG], auth: "key", credits: 0, summary: "A purchase's status",
    response: { status: 200, description: "The checkout: open, complete or expired." }, errors: ["not_found"],
  });
  doc({
    method: "get", path: `${API_BASE}/credits/low-credit-alert`, tags: [TAG], auth: "key", credits: 0, summary: "Your low-credit alert threshold",
    response: { status: 200, description: "`{ threshold, default_threshold, effective_threshold }`." }, errors: [],
  });
  doc({
    method: "put", path: `${API_BASE}/credits/low-credit-alert`, tags: [TAG], auth: "key", credits: 0, summary: "Set your low-credit alert threshold",
    body: thresholdBody, response: { status: 200, description: "The new settings." }, errors: ["invalid_request"],
  });
  doc({
    method: "post", path: `${API_BASE}/subscriptions`, tags: [TAG], auth: "key", credits: 0, summary: "Subscribe, or change plan",
    description: "Without a plan: a Stripe Checkout Session in subscription mode (201, `action: checkout`). With a Stripe plan: an upgrade takes effect now, its prorated price is charged at once (declined → 409), and the prorated difference in credits is added as soon as that invoice is paid — in this call when the card pays (`upgraded`); a downgrade takes effect at the period's end (`downgrade_scheduled`).",
    body: subscribeBody, headers: idempotency, response: { status: 201, description: "The checkout, or (200) the changed subscription." },
    errors: ["invalid_request", "account_paused", "invalid_state", "idempotency_conflict", "unavailable"],
  });
  doc({
    method: "get", path: `${API_BASE}/subscriptions`, tags: [TAG], auth: "key", credits: 0, summary: "Your subscriptions",
    response: { status: 200, description: "`{ data: [subscription], next_cursor: null }`, newest first." }, errors: [],
  });
  doc({
    method: "post", path: `${API_BASE}/subscriptions/:id/cancel`, tags: [TAG], auth: "key", credits: 0, summary: "Cancel at the period's end",
    response: { status: 200, description: "The subscription (`cancel_at_period_end: true`)." }, errors: ["not_found", "invalid_state", "unavailable"],
  });
  doc({
    method: "post", path: `${API_BASE}/billing/portal`, tags: [TAG], auth: "key", credits: 0, summary: "Open the Stripe customer portal",
    description: "A fresh, short-lived Stripe customer portal session (update the card a payment failed on, see invoices, cancel). Redirect the user to `url` at once; "
      + "the portal's return link goes to the dashboard (PUBLIC_URL). 409 `invalid_state` when the user has never been a Stripe customer (no purchase or subscription yet).",
    response: { status: 200, description: "`{ url }`.", schema: z.object({ url: z.string() }) }, errors: ["invalid_state", "unavailable"],
  });
  doc({
    method: "post", path: `${API_BASE}/webhooks/stripe`, tags: [TAG], auth: "none", credits: 0, summary: "Stripe webhook",
    description: "Signed by Stripe (`Stripe-Signature` over the raw body); no API key. Each event id is processed once, asynchronously.",
    response: { status: 200, description: "`{ received: true, id, duplicate }`." }, errors: ["invalid_request", "unavailable"],
  });
  doc({
    method: "get", path: `${API_BASE}/checkout/return`, tags: [TAG], auth: "none", credits: 0, summary: "Where Stripe Checkout returns the buyer",
    description: "The default `success_url` and `cancel_url` of a checkout: a short HTML page saying whether the payment went through (`result=success`) or was canceled. Credits are added by the webhook, not by this page.",
    query: z.object({ result: z.enum(["success", "canceled"]).optional(), session_id: z.string().optional() }),
    response: { status: 200, description: "An HTML page.", schema: z.string(), contentType: "text/html" }, errors: [],
  });
  doc({
    method: "post", path: `${API_BASE}/admin/users/:id/plan`, tags: [TAG], auth: "admin", credits: 0, summary: "Assign or change a user's plan without Stripe",
    description: "For invoiced customers: the first period's credits are granted at once and the scheduler renews monthly. Upgrades add the prorated difference now; downgrades wait for the period's end.",
    body: assignPlanBody, response: { status: 201, description: "`{ action, subscription }` (200 for a change)." }, errors: ["invalid_request", "not_found", "invalid_state"],
  });
  doc({
    method: "delete", path: `${API_BASE}/admin/users/:id/plan`, tags: [TAG], auth: "admin", credits: 0, summary: "End a user's admin plan at the period's end",
    response: { status: 200, description: "The subscription." }, errors: ["not_found", "invalid_state"],
  });
  doc({
    method: "get", path: `${API_BASE}/admin/users/:id/subscription`, tags: [TAG], auth: "admin", credits: 0, summary: "A user's subscription state",
    response: { status: 200, description: "`{ user_id, current, subscriptions }`." }, errors: ["invalid_request", "not_found"],
  });
  doc({
    method: "post", path: `${API_BASE}/admin/promotions`, tags: [TAG], auth: "admin", credits: 0, summary: "Create a promotion code",
    description: "`max_redemptions` caps all uses (a database constraint; an open checkout holds one until it is paid or expires); `max_redemptions_per_user` defaults to 1 (null = no per-user limit). "
      + "A payment that completes after its checkout was swept still gets the credits it paid for, but counts as a use only if one is left (else it shows in `over_limit_uses`).",
    body: promotionBody, response: { status: 201, description: "The promotion." }, errors: ["invalid_request"],
  });
  doc({
    method: "patch", path: `${API_BASE}/admin/promotions/:id`, tags: [TAG], auth: "admin", credits: 0, summary: "Change a promotion's limits, end date or status",
    description: "Set `max_redemptions`, `max_redemptions_per_user` (null lifts a limit), `ends_at`, `description` or `active`. A `max_redemptions` below `times_used` is refused (400).",
    body: promotionPatchBody, response: { status: 200, description: "The promotion." }, errors: ["invalid_request", "not_found"],
  });
  doc({
    method: "get", path: `${API_BASE}/admin/promotions`, tags: [TAG], auth: "admin", credits: 0, summary: "Promotion codes and their use",
    response: { status: 200, description: "`{ data: [promotion], next_cursor: null }`." }, errors: [],
  });
}
