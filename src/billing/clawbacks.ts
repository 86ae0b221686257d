/**
 * Stripe refunds and chargebacks take back the credits the money paid for:
 * a one-off credit purchase (a checkout in mode 'payment', named by the
 * charge's PaymentIntent metadata `checkout_id`) or a subscription invoice
 * (the charge's invoice → our subscription_grants for it: a period, an
 * upgrade's proration, or both). A charge that paid neither is
 * `not_a_credit_purchase`.
 *
 * The events are hints: the charge, the dispute and the invoice are re-read
 * from Stripe (the charge's cumulative `amount_refunded`, the dispute's
 * current status, the invoice's amount paid), recorded per item in
 * purchase_reversals / stripe_chargebacks, and then applyReversal
 * (reversals.ts) brings the ledger in line with that record — state-based
 * and idempotent, so order and replays do not matter.
 *
 * Every Stripe call happens before the first lock: the item's own lock (the
 * checkout row, or the Stripe subscription's advisory lock that every period
 * and upgrade grant takes too), then the reversal rows, then the ledger.
 */
import type { EntityManager } from "typeorm";
import { sql } from "../db/sql";
import type { HandlerContext } from "./handler-context";
import { applyReversal, type ChargebackStatus, itemColumn, type PaidFor } from "./reversals";
import { refId, type Stripe } from "./stripe-client";
import { invoiceSubscriptionId, lockStripeSubscription, syncStripeSubscription } from "./stripe-sync";

export { applyReversal, creditsFor } from "./reversals";

/** Stripe dispute statuses that end it in the merchant's favour (an inquiry closed without a chargeback counts as won). */
const WON = new Set(["won", "warning_closed", "prevented"]);

function chargebackStatus(s: string): ChargebackStatus {
  if (s === "lost") return "lost";
  return WON.has(s) ? "won" : "open";
}

/** What a charge paid for, as found in Stripe (before any lock). */
type Found =
  | { checkoutId: string }
  | { invoice: Stripe.Invoice; subscriptionId: string };

/** The credit purchase (checkout id) a charge paid for, from its PaymentIntent's metadata (set at checkout). */
async function purchaseOfCharge(h: HandlerContext, charge: Stripe.Charge): Promise<string | null> {
  let checkoutId = charge.metadata?.checkout_id ?? null;
  const pi = refId(charge.payment_intent);
  if (!checkoutId && pi) checkoutId = (await h.stripe.paymentIntents.retrieve(pi)).metadata?.checkout_id ?? null;
  if (!checkoutId) return null;
  const rows = await sql(h.m, `SELECT id FROM checkouts WHERE id = $1 AND mode = 'payment'`, [checkoutId]);
  return rows.length > 0 ? checkoutId : null;
}

/**
 * The invoice a charge paid. API versions before 2025-03-31 put it on the
 * charge (`charge.invoice`); since then the link is an InvoicePayment of the
 * charge's PaymentIntent.
 */
async function invoiceOfCharge(stripe: Stripe, charge: Stripe.Charge): Promise<string | null> {
  const legacy = refId((charge as unknown as { invoice?: string | { id: string } | null }).invoice ?? null);
  if (legacy) return legacy;
  const pi = refId(charge.payment_intent);
  if (!pi) return null;
  const payments = await stripe.invoicePayments.list({ payment: { type: "payment_intent", payment_intent: pi }, limit: 10 });
  const paid = payments.data.find((p) => p.status === "paid") ?? payments.data[0];
  return paid ? refId(paid.invoice as string | { id: string }) : null;
}

async function whatChargePaid(h: HandlerContext, charge: Stripe.Charge): Promise<Found | null> {
  const checkoutId = await purchaseOfCharge(h, charge);
  if (checkoutId) return { checkoutId };
  const invoiceId = await invoiceOfCharge(h.stripe, charge);
  if (!invoiceId) return null;
  const invoice = await h.stripe.invoices.retrieve(invoiceId);
  const subscriptionId = invoiceSubscriptionId(invoice);
  return subscriptionId ? { invoice, subscriptionId } : null;
}

/**
 * Take the item's own lock and make sure its reversal row exists; returns the
 * item and its user, or null when the subscription is not ours.
 */
async function lockAndRecord(h: HandlerContext, found: Found, chargeId: string): Promise<{ paidFor: PaidFor; userId: string } | null> {
  if ("checkoutId" in found) {
    await sql(h.m, `SELECT id FROM checkouts WHERE id = $1 FOR UPDATE`, [found.checkoutId]);
    const [r] = await sql<{ user_id: string }>(h.m,
      `INSERT INTO purchase_reversals (checkout_id, user_id, stripe_charge_id) SELECT id, user_id, $2 FROM checkouts WHERE id = $1
       ON CONFLICT (checkout_id) DO UPDATE SET stripe_charge_id = coalesce(purchase_reversals.stripe_charge_id, EXCLUDED.stripe_charge_id)
       RETURNING user_id`,
      [found.checkoutId, chargeId],
    );
    return { paidFor: { checkoutId: found.checkoutId }, userId: r!.user_id };
  }
  let subs = await subscriptionUser(h.m, found.subscriptionId);
  if (!subs) {
    // This event beat the subscription's own: sync it now (it calls Stripe before it writes, and takes the lock below itself).
    await syncStripeSubscription(h.ctx, h.m, h.stripe, found.subscriptionId, h.mail);
    subs = await subscriptionUser(h.m, found.subscriptionId);
    if (!subs) return null;
  }
  await lockStripeSubscription(h.m, found.subscriptionId);
  await sql(h.m,
    `INSERT INTO purchase_reversals (stripe_invoice_id, user_id, stripe_charge_id, paid_cents) VALUES ($1, $2, $3, $4)
     ON CONFLICT (stripe_invoice_id) DO UPDATE SET stripe_charge_id = coalesce(purchase_reversals.stripe_charge_id, EXCLUDED.stripe_charge_id),
            paid_cents = GREATEST(purchase_reversals.paid_cents, EXCLUDED.paid_cents)`,
    [found.invoice.id, subs, chargeId, found.invoice.amount_paid],
  );
  return { paidFor: { invoiceId: found.invoice.id! }, userId: subs };
}

async function subscriptionUser(m: EntityManager, stripeSubscriptionId: string): Promise<string | null> {
  const rows = await sql<{ user_id: string }>(m, `SELECT user_id FROM subscriptions WHERE stripe_subscription_id = $1`, [stripeSubscriptionId]);
  return rows[0]?.user_id ?? null;
}

/** charge.refunded: record the cumulative refunded cents (never lower than seen before), then apply. */
export async function chargeRefunded(h: HandlerContext, event: Stripe.Charge): Promise<string> {
  // Stripe calls first: no Stripe call while a ledger lock is held.
  const charge = await h.stripe.charges.retrieve(event.id);
  const found = await whatChargePaid(h, charge);
  if (!found) return "not_a_credit_purchase";
  const item = await lockAndRecord(h, found, charge.id);
  if (!item) return "unknown_subscription";
  const { column, value } = itemColumn(item.paidFor);
  await sql(h.m,
    `UPDATE purchase_reversals SET refunded_cents = GREATEST(refunded_cents, $2), updated_at = now() WHERE ${column} = $1`,
    [value, charge.amount_refunded],
  );
  return `refunded_cents=${charge.amount_refunded};${await applyReversal(h.ctx, h.m, item.paidFor, h.mail)}`;
}

/** charge.dispute.created / .closed (and any dispute event): record the dispute's current status, then apply. */
export async function chargeDisputed(h: HandlerContext, event: Stripe.Dispute): Promise<string> {
  const dispute = await h.stripe.disputes.retrieve(event.id);
  const chargeId = refId(dispute.charge);
  if (!chargeId) return "no_charge";
  const charge = await h.stripe.charges.retrieve(chargeId);
  const found = await whatChargePaid(h, charge);
  if (!found) return "not_a_credit_purchase";
  const status = chargebackStatus(dispute.status);
  const item = await lockAndRecord(h, found, charge.id);
  if (!item) return "unknown_subscription";
  const { column, value } = itemColumn(item.paidFor);
  await sql(h.m,
    `INSERT INTO stripe_chargebacks (id, ${column}, user_id, status, amount_cents) VALUES ($1, $2, $3, 'open', $4) ON CONFLICT (id) DO NOTHING`,
    [dispute.id, value, item.userId, dispute.amount],
  );
  // Closing happens once: a later (or replayed, or older) event for a closed dispute changes nothing.
  const closed = await sql<{ id: string }>(h.m,
    `UPDATE stripe_chargebacks SET status = $2, closed_at = now(), amount_cents = $3 WHERE id = $1 AND status = 'open' AND $2 <> 'open' RETURNING id`,
    [dispute.id, status, dispute.amount],
  );
  if (closed.length > 0 && status === "lost") {
    await sql(h.m, `UPDATE purchase_reversals SET lost_cents = lost_cents + $2, updated_at = now() WHERE ${column} = $1`, [value, dispute.amount]);
  }
  return `dispute=${dispute.id}:${status};${await applyReversal(h.ctx, h.m, item.paidFor, h.mail)}`;
}
