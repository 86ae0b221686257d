/**
 * What each Stripe event does. Every handler runs in the transaction that
 * also marks the event processed, and treats the event as a hint: the
 * object it names is re-read from Stripe where its current state matters.
 * Each returns a short outcome string stored on the event for operators.
 *
 * Events to enable on the endpoint (docs/billing.md):
 *   checkout.session.completed, checkout.session.async_payment_succeeded,
 *   checkout.session.expired, customer.subscription.created,
 *   customer.subscription.updated, customer.subscription.deleted,
 *   invoice.paid (or invoice.payment_succeeded), invoice.payment_failed,
 *   charge.refunded, charge.dispute.created, charge.dispute.closed
 *   (refunds and chargebacks of credit purchases and subscription invoices: src/billing/clawbacks.ts)
 */
import { sql } from "../db/sql";
import { queueUserEmail } from "../mail/notifications";
import { checkoutForSession, expireCheckout } from "./checkouts";
import { chargeDisputed, chargeRefunded } from "./clawbacks";
import type { HandlerContext } from "./handler-context";
import { linkCustomer } from "./customers";
import { getPackage } from "./packages";
import { fulfilPurchase } from "./purchases";
import { fromUnix, refId, type Stripe } from "./stripe-client";
import { grantInvoice, invoiceSubscriptionId, resolvePaidInvoice, syncStripeSubscription } from "./stripe-sync";
import { resolveUpgradeInvoice } from "./upgrades";

export const HANDLED_EVENTS = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "checkout.session.expired",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.paid",
  "invoice.payment_succeeded",
  "invoice.payment_failed",
  "charge.refunded",
  "charge.dispute.created",
  "charge.dispute.closed",
] as const;

async function checkoutCompleted(h: HandlerContext, session: Stripe.Checkout.Session): Promise<string> {
  if (session.mode === "payment") return fulfilPurchase(h.ctx, h.m, h.stripe, session.id, h.mail);
  if (session.mode !== "subscription") return "ignored_mode";
  const subId = refId(session.subscription);
  const c = await checkoutForSession(h.m, session, true);
  if (c) {
    const customer = refId(session.customer);
    if (customer) await linkCustomer(h.m, c.user_id, customer);
    await sql(h.m,
      `UPDATE checkouts SET status = 'complete', completed_at = coalesce(completed_at, now()), stripe_session_id = coalesce(stripe_session_id, $2),
              stripe_subscription_id = $3, updated_at = now() WHERE id = $1`,
      [c.id, session.id, subId],
    );
  }
  if (!subId) return "no_subscription";
  return (await syncStripeSubscription(h.ctx, h.m, h.stripe, subId, h.mail)).outcome;
}

async function invoicePaid(h: HandlerContext, invoice: Stripe.Invoice): Promise<string> {
  const subId = invoiceSubscriptionId(invoice);
  if (!subId) return "not_a_subscription_invoice";
  // A paid invoice stays paid: the event's copy is enough to grant its period. Resolved before the
  // sync, whose grants lock the account: no Stripe call may happen while that lock is held.
  const resolved = await resolvePaidInvoice(h.m, h.stripe, invoice);
  // Sync first (creates the local row if this event beat customer.subscription.created).
  const upgrade = await resolveUpgradeInvoice(h.m, h.stripe, invoice);
  const r = await syncStripeSubscription(h.ctx, h.m, h.stripe, subId, h.mail);
  if (!r.subscription) return r.outcome;
  const { period, upgrade: upgraded } = await grantInvoice(h.ctx, h.m, resolved, upgrade, r.subscription, h.mail);
  return upgraded === "upgrade_no_proration" ? `${r.outcome};${period}` : `${r.outcome};${period};${upgraded}`;
}

async function invoicePaymentFailed(h: HandlerContext, invoice: Stripe.Invoice): Promise<string> {
  const subId = invoiceSubscriptionId(invoice);
  if (!subId) return "not_a_subscription_invoice";
  const r = await syncStripeSubscription(h.ctx, h.m, h.stripe, subId, h.mail);
  if (!r.subscription) return r.outcome;
  const pkg = await getPackage(h.m, r.subscription.package_id);
  h.mail.add(await queueUserEmail(h.m, h.ctx.config.PUBLIC_URL ?? null, r.subscription.user_id, `payment_failed:${invoice.id}:${invoice.attempt_count}`, {
    kind: "payment_failed", planName: pkg.name, amountCents: invoice.amount_due,
    nextAttempt: invoice.next_payment_attempt ? fromUnix(invoice.next_payment_attempt) : null,
  }));
  return `${r.outcome};status=${r.subscription.status};emailed`;
}

export async function handleStripeEvent(h: HandlerContext, event: Stripe.Event): Promise<string> {
  const object = event.data.object as unknown;
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      return checkoutCompleted(h, object as Stripe.Checkout.Session);
    case "checkout.session.expired":
      return expireCheckout(h.m, object as Stripe.Checkout.Session);
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return (await syncStripeSubscription(h.ctx, h.m, h.stripe, (object as Stripe.Subscription).id, h.mail)).outcome;
    case "invoice.paid":
    case "invoice.payment_succeeded": // sent with invoice.paid for the same invoice: the grants are idempotent
      return invoicePaid(h, object as Stripe.Invoice);
    case "invoice.payment_failed":
      return invoicePaymentFailed(h, object as Stripe.Invoice);
    case "charge.refunded":
      return chargeRefunded(h, object as Stripe.Charge);
    case "charge.dispute.created":
    case "charge.dispute.closed":
      return chargeDisputed(h, object as Stripe.Dispute);
    default:
      return "ignored";
  }
}
