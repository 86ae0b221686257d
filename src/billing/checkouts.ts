/**
 * Stripe Checkout Sessions Holdfast creates, for one-off credit purchases
 * and for starting subscriptions.
 *
 * Creating one: a `checkouts` row is committed first (with the Idempotency-Key
 * claim and the promotion reservation), then Stripe is called with an
 * idempotency key derived from that row. A retry with the same
 * Idempotency-Key finds the row and either returns its URL or calls Stripe
 * again with the same key — Stripe then returns the same session — so a
 * request retried at any point makes exactly one session.
 *
 * Credits are never granted here: only the webhook for the completed, paid
 * session does (purchases.ts).
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Config } from "../config";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import type { User } from "../entities/user";
import { InvalidState, NotFound } from "../errors";
import { claimIdempotencyKey, type Idempotency } from "../db/idempotency";
import { toInt } from "../ledger/types";
import { UUID_RE } from "../lib/ids";
import { centsToDollars } from "../lib/money";
import { isPermanentStripeError, stripeFailure, type Stripe } from "./stripe-client";
import { releasePromotion, releasePromotions } from "./promotions";

export interface CheckoutRow {
  id: string;
  user_id: string;
  mode: "payment" | "subscription";
  status: "creating" | "open" | "complete" | "expired";
  credits: string | null;
  credit_type: string;
  base_cents: number | null;
  bulk_discount_cents: number;
  subscriber_discount_cents: number;
  promo_discount_cents: number;
  total_cents: number | null;
  promotion_id: string | null;
  package_id: string | null;
  stripe_session_id: string | null;
  checkout_url: string | null;
  stripe_subscription_id: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface CheckoutView {
  id: string;
  mode: "payment" | "subscription";
  status: CheckoutRow["status"];
  credits: number | null;
  credit_type: string;
  package_id: string | null;
  base_cents: number | null;
  discount_cents: number;
  total_cents: number | null;
  total: string | null;
  currency: "usd";
  checkout_url: string | null;
  session_id: string | null;
  created_at: string;
  completed_at: string | null;
}

export function checkoutView(c: CheckoutRow): CheckoutView {
  return {
    id: c.id, mode: c.mode, status: c.status, credits: c.credits === null ? null : toInt(c.credits), credit_type: c.credit_type,
    package_id: c.package_id, base_cents: c.base_cents, discount_cents: c.bulk_discount_cents + c.subscriber_discount_cents + c.promo_discount_cents,
    total_cents: c.total_cents, total: c.total_cents === null ? null : centsToDollars(c.total_cents), currency: "usd",
    checkout_url: c.checkout_url, session_id: c.stripe_session_id, created_at: c.created_at.toISOString(),
    completed_at: c.completed_at?.toISOString() ?? null,
  };
}

export async function loadCheckout(m: EntityManager, id: string, lock = false): Promise<CheckoutRow | null> {
  const rows: CheckoutRow[] = await sql(m, `SELECT * FROM checkouts WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return rows[0] ?? null;
}

/** The checkout a Stripe session belongs to: by our id in its metadata, else by session id. */
export async function checkoutForSession(m: EntityManager, session: Stripe.Checkout.Session, lock = false): Promise<CheckoutRow | null> {
  const ours = session.metadata?.checkout_id ?? session.client_reference_id;
  if (ours && UUID_RE.test(ours)) {
    const c = await loadCheckout(m, ours, lock);
    if (c) return c;
  }
  const rows: CheckoutRow[] = await sql(m, `SELECT * FROM checkouts WHERE stripe_session_id = $1${lock ? " FOR UPDATE" : ""}`, [session.id]);
  return rows[0] ?? null;
}

export async function getCheckoutView(ctx: AppContext, user: User, id: string): Promise<CheckoutView> {
  const c = UUID_RE.test(id) ? await loadCheckout(ctx.ds.manager, id) : null;
  if (!c || (c.user_id !== user.id && user.role !== "admin")) throw new NotFound("Checkout");
  return checkoutView(c);
}

export interface ReturnUrls {
  success_url?: string;
  cancel_url?: string;
}

/** Where Stripe sends the buyer back to: the caller's URLs, else a small page of ours. */
export function returnUrls(config: Config, body: ReturnUrls): { success_url: string; cancel_url: string } {
  const base = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, "");
  return {
    success_url: body.success_url ?? `${base}/api/v1/checkout/return?result=success&session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: body.cancel_url ?? `${base}/api/v1/checkout/return?result=canceled`,
  };
}

export interface NewCheckout {
  mode: "payment" | "subscription";
  credits?: number;
  base_cents?: number;
  bulk_discount_cents?: number;
  subscriber_discount_cents?: number;
  promo_discount_cents?: number;
  total_cents?: number;
  promotion_id?: string | null;
  package_id?: string | null;
}

/**
 * Step 1a, in the caller's transaction: claim the Idempotency-Key. Returns
 * the id for a new checkout, or the checkout an earlier request with the same
 * key created (then nothing else is priced or inserted: a replay returns the
 * first answer even if the price or the promotion changed since).
 */
export async function claimCheckout(
  m: EntityManager, userId: string, scope: string, idem: Idempotency | undefined,
): Promise<{ id: string; prior: CheckoutRow | null }> {
  const id = randomUUID();
  if (!idem) return { id, prior: null };
  const prior = await claimIdempotencyKey(m, userId, scope, idem, id);
  return { id, prior: prior ? await loadCheckout(m, prior) : null };
}

/** Step 1b, same transaction: insert the new checkout row. */
export async function insertCheckout(m: EntityManager, id: string, userId: string, c: NewCheckout): Promise<CheckoutRow> {
  const rows: CheckoutRow[] = await sql(m,
    `INSERT INTO checkouts (id, user_id, mode, credits, base_cents, bulk_discount_cents, subscriber_discount_cents, promo_discount_cents,
                            total_cents, promotion_id, package_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
    [id, userId, c.mode, c.credits ?? null, c.base_cents ?? null, c.bulk_discount_cents ?? 0, c.subscriber_discount_cents ?? 0,
      c.promo_discount_cents ?? 0, c.total_cents ?? null, c.promotion_id ?? null, c.package_id ?? null],
  );
  return rows[0]!;
}

/**
 * Step 2, outside any transaction: create (or re-fetch, by idempotency key)
 * the Stripe session and record it. A permanent Stripe refusal closes the
 * checkout and gives back its promotion use; a transient one leaves it for a
 * retry with the same Idempotency-Key (or for the stale-checkout sweep).
 */
export async function openSession(
  ctx: AppContext, checkout: CheckoutRow, create: (idempotencyKey: string) => Promise<Stripe.Checkout.Session>,
): Promise<CheckoutRow> {
  if (checkout.checkout_url) return checkout;
  if (checkout.status !== "creating") {
    // A replay of a request whose checkout Stripe refused (or that was closed unused).
    throw new InvalidState(`This checkout is ${checkout.status} and has no payment page; retry with a new Idempotency-Key.`, { checkout_id: checkout.id });
  }
  let session: Stripe.Checkout.Session;
  try {
    session = await create(`holdfast-checkout-${checkout.id}`);
  } catch (err) {
    if (isPermanentStripeError(err)) {
      await ctx.ds.transaction(async (m) => {
        const closed = await sql<{ id: string }>(
          m,
          `UPDATE checkouts SET status = 'expired', updated_at = now() WHERE id = $1 AND status = 'creating' RETURNING id`,
          [checkout.id],
        );
        if (closed.length > 0) await releasePromotion(m, checkout.id);
      });
    }
    throw stripeFailure(err, "start a checkout");
  }
  const rows = await sql<CheckoutRow>(
    ctx.ds,
    `UPDATE checkouts SET status = CASE WHEN status = 'creating' THEN 'open' ELSE status END,
            stripe_session_id = $2, checkout_url = $3, updated_at = now()
      WHERE id = $1 RETURNING *`,
    [checkout.id, session.id, session.url],
  );
  return rows[0] ?? checkout;
}

/** checkout.session.expired: close the checkout and give back its promotion use (once). */
export async function expireCheckout(m: EntityManager, session: Stripe.Checkout.Session): Promise<string> {
  const c = await checkoutForSession(m, session, true);
  if (!c) return "unknown_checkout";
  if (c.status === "complete" || c.status === "expired") return `already_${c.status}`;
  await sql(m, `UPDATE checkouts SET status = 'expired', stripe_session_id = coalesce(stripe_session_id, $2), updated_at = now() WHERE id = $1`, [c.id, session.id]);
  await releasePromotion(m, c.id);
  return "expired";
}

/**
 * Checkouts that never got a session (Stripe unreachable and never retried)
 * or whose session is long past Stripe's 24 h expiry without word from
 * Stripe: close them so their promotion uses come back. A late "completed"
 * for one of them still grants (fulfilment accepts any status but complete).
 */
export async function sweepStaleCheckouts(m: EntityManager, now: Date, olderThanMs = 48 * 3600_000): Promise<number> {
  const stale = await sql<{ id: string }>(
    m,
    `UPDATE checkouts SET status = 'expired', updated_at = now() WHERE status IN ('creating', 'open') AND created_at < $1 RETURNING id`,
    [new Date(now.getTime() - olderThanMs)],
  );
  await releasePromotions(m, stale.map((r) => r.id));
  return stale.length;
}
