/**
 * One-off credit purchases: quote (no side effects), checkout (a Stripe
 * Checkout Session in payment mode), and fulfilment — the only place purchased
 * credits are created, run by the webhook worker for a completed, paid
 * session. The grant's transfer id derives from the session id, so no replay,
 * retry or second event for the session can grant twice.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import type { Idempotency } from "../db/idempotency";
import { assertActive } from "../users/status";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import { toInt } from "../ledger/types";
import { type MailBatch, queueUserEmail } from "../mail/notifications";
import { type CheckoutRow, type CheckoutView, checkoutForSession, checkoutView, claimCheckout, insertCheckout, openSession, type ReturnUrls, returnUrls } from "./checkouts";
import { repayDebts } from "../credits/debts";
import { applyReversal } from "./reversals";
import { ensureCustomer } from "./customers";
import { pricePurchase, type Quote } from "./purchase-pricing";
import { redeemPromotion, reservePromotion } from "./promotions";
import { requireStripe, stripeFailure, type Stripe } from "./stripe-client";

export interface PurchaseRequest extends ReturnUrls {
  credits: number;
  promo_code?: string;
}

/** POST /credits/purchase/validate: the full price breakdown; changes nothing. */
export async function quoteForUser(ctx: AppContext, user: User, credits: number, promoCode?: string): Promise<Quote> {
  return (await pricePurchase(ctx.ds.manager, user.id, credits, promoCode, ctx.clock.now())).quote;
}

export interface PurchaseCheckout extends CheckoutView {
  quote: Quote | null;
  replayed: boolean;
}

/** POST /credits/purchase: a Stripe Checkout Session for the quoted total; credits come with the webhook. */
export async function startPurchase(ctx: AppContext, user: User, req: PurchaseRequest, idem?: Idempotency): Promise<PurchaseCheckout> {
  assertActive(user);
  const stripe = requireStripe(ctx);
  const now = ctx.clock.now();
  const { checkout, replayed, quote } = await ctx.ds.transaction(async (m) => {
    const claim = await claimCheckout(m, user.id, "credits.purchase", idem);
    if (claim.prior) return { checkout: claim.prior, replayed: true, quote: null };
    // Priced inside the transaction with the promotion row locked, so the
    // usage-limit check and the reservation below are one decision.
    const priced = await pricePurchase(m, user.id, req.credits, req.promo_code, now, true);
    const q = priced.quote;
    const c = await insertCheckout(m, claim.id, user.id, {
      mode: "payment", credits: q.credits, base_cents: q.base_cents, bulk_discount_cents: q.bulk_discount_cents,
      subscriber_discount_cents: q.subscriber_discount_cents, promo_discount_cents: q.promo_discount_cents, total_cents: q.total_cents,
      promotion_id: priced.promotion?.id ?? null,
    });
    if (priced.promotion) await reservePromotion(m, priced.promotion, user.id, c.id);
    return { checkout: c, replayed: false, quote: q as Quote | null };
  });

  let opened: CheckoutRow;
  try {
    const customer = await ensureCustomer(ctx, stripe, user);
    const urls = returnUrls(ctx.config, req);
    const credits = toInt(checkout.credits);
    opened = await openSession(ctx, checkout, (idempotencyKey) =>
      stripe.checkout.sessions.create(
        {
          mode: "payment",
          customer,
          client_reference_id: checkout.id,
          line_items: [{
            quantity: 1,
            price_data: {
              currency: "usd",
              unit_amount: checkout.total_cents!,
              product_data: { name: `${credits} Holdfast credits`, description: "Purchased credits never expire." },
            },
          }],
          metadata: { checkout_id: checkout.id, user_id: user.id, credits: String(credits), kind: "credit_purchase" },
          payment_intent_data: { metadata: { checkout_id: checkout.id, user_id: user.id } },
          success_url: urls.success_url,
          cancel_url: urls.cancel_url,
        },
        { idempotencyKey },
      ),
    );
  } catch (err) {
    throw stripeFailure(err, "start a checkout");
  }
  return { ...checkoutView(opened), quote, replayed };
}

/**
 * Grant a paid purchase (webhook worker, caller's transaction). The session
 * is re-read from Stripe: the event may be old, and only a session Stripe
 * reports paid now grants. Returns what happened, for the event's outcome.
 */
export async function fulfilPurchase(
  ctx: AppContext, m: EntityManager, stripe: Stripe, sessionId: string, mail: MailBatch,
): Promise<string> {
  const session = await stripe.checkout.sessions.retrieve(sessionId);
  if (session.mode !== "payment") return "not_a_purchase";
  const c = await checkoutForSession(m, session, true);
  if (!c || c.mode !== "payment") return "unknown_checkout";
  if (session.payment_status !== "paid" && session.payment_status !== "no_payment_required") return `awaiting_payment:${session.payment_status}`;
  if (c.status === "complete") return "already_granted";

  const credits = toInt(c.credits);
  const grantId = derivedId(session.id, "purchase");
  // Before the grant, whose account lock should be held as briefly as possible. A use released
  // before this payment came counts again only if there is room (see redeemPromotion); the
  // credits are granted either way: the buyer paid the discounted price for them.
  const promo = await redeemPromotion(m, c.id);
  const granted = await ledger.grant(m, {
    id: grantId, userId: c.user_id, amount: credits, creditType: c.credit_type, type: "purchase", category: "purchase", expiresAt: null,
    description: `Purchased ${credits} credits`,
    metadata: { checkout_id: c.id, stripe_session_id: session.id, amount_total_cents: session.amount_total },
  });
  await sql(m,
    `UPDATE checkouts SET status = 'complete', completed_at = now(), stripe_session_id = coalesce(stripe_session_id, $2),
            grant_transfer_id = $3, updated_at = now() WHERE id = $1`,
    [c.id, session.id, grantId],
  );
  if (promo === "over_limit") {
    ctx.logger.warn({ checkout: c.id, promotion: c.promotion_id }, "late payment of a promotion checkout: granted, but the promotion had no use left to count");
  }
  // A refund or chargeback of this purchase that arrived before this event takes effect now; then what
  // is left pays the user's debts first.
  const reversal = await applyReversal(ctx, m, { checkoutId: c.id }, mail);
  const repaid = await repayDebts(m, { userId: c.user_id, creditType: c.credit_type, accountId: granted.accountId, lotId: granted.lotId, grantId });
  if (session.amount_total !== null && session.amount_total !== c.total_cents) {
    // Never withhold paid-for credits over this, but an operator must look.
    ctx.logger.error({ checkout: c.id, session: session.id, expected: c.total_cents, paid: session.amount_total }, "Stripe charged a different amount than quoted");
  }
  mail.add(await queueUserEmail(m, ctx.config.PUBLIC_URL ?? null, c.user_id, `purchase_receipt:${c.id}`, {
    kind: "purchase_receipt", credits, totalCents: session.amount_total ?? c.total_cents!, checkoutId: c.id,
  }));
  const promoNote = promo === "redeemed_late" || promo === "over_limit" ? `;promotion=${promo}` : "";
  return `granted${promoNote}${reversal === "nothing_reported" ? "" : `;${reversal}`}${repaid > 0 ? `;debt_repaid=${repaid}` : ""}`;
}
