/**
 * Upgrades of Stripe plans are paid before they grant.
 *
 * A plan change seen in a sync (made through our API or in Stripe's own
 * portal, on any subscription status) moves the subscription to the better
 * plan and records a pending upgrade — no credits. The prorated difference is
 * granted when the invoice carrying the proration is paid (invoice.paid /
 * invoice.payment_succeeded, or found paid as the latest invoice on a later
 * sync), and only while the subscription is active or trialing:
 *
 * - the invoice is matched by subscription + its proration lines' price (the
 *   target plan); `subscription_update` invoices without proration flags
 *   count by their positive lines;
 * - exactly once: the transfer id derives from the invoice id, and the
 *   conditional update pending → granted (stripe_invoice_id UNIQUE) decides;
 * - the credits are the difference of the two plans times the share of the
 *   period left at the invoice's proration date (the change time otherwise);
 * - a downgrade records nothing here and grants nothing (it waits for the
 *   period's end, applyPlanChange).
 *
 * resolveUpgradeInvoice may call Stripe (an unknown price), so callers run it
 * before anything locks an account; grantUpgradeInvoice makes no outside call.
 */
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import type { SubscriptionStatus } from "../entities/subscription";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import { toInt } from "../ledger/types";
import { type MailBatch, queueUserEmail } from "../mail/notifications";
import { getPackage, type PackageRow, packageForStripePrice } from "./packages";
import { proratedCredits } from "./periods";
import { fromUnix, type Stripe } from "./stripe-client";
import { applyPlanChange, type PlanChange, type SubscriptionRow } from "./subscriptions";

/** Only these statuses receive upgrade credits (a paused or unpaid plan gets none, even if an invoice is paid). */
export const UPGRADE_GRANT_STATUSES: readonly SubscriptionStatus[] = ["active", "trialing"];

interface UpgradeRow {
  id: string;
  subscription_id: string;
  from_package_id: string;
  to_package_id: string;
  period_start: Date;
  period_end: Date;
  changed_at: Date;
}

/**
 * A Stripe subscription (held under its lock) now bills `target` within the
 * current period. An upgrade takes effect now and waits for its payment;
 * anything else is applyPlanChange's (a downgrade waits for the period's end).
 */
export async function recordPlanChange(
  ctx: AppContext, m: EntityManager, s: SubscriptionRow, target: PackageRow, now: Date, mail: MailBatch,
): Promise<PlanChange> {
  if (target.id !== s.package_id) {
    const current = await getPackage(m, s.package_id);
    if (toInt(target.credits) > toInt(current.credits)) {
      await sql(m,
        `INSERT INTO subscription_upgrades (subscription_id, from_package_id, to_package_id, period_start, period_end, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [s.id, current.id, target.id, s.current_period_start, s.current_period_end, now],
      );
      await sql(m, `UPDATE subscriptions SET package_id = $2, pending_package_id = NULL, updated_at = now() WHERE id = $1`, [s.id, target.id]);
      s.package_id = target.id;
      s.pending_package_id = null;
      return "upgraded";
    }
  }
  return applyPlanChange(ctx, m, s, target, now, mail);
}

/** A paid invoice and the plans its proration lines pay for, resolved before any ledger write. */
export type ResolvedUpgradeInvoice =
  | { invoice: Stripe.Invoice; skip: string }
  | { invoice: Stripe.Invoice; skip: null; packageIds: string[]; prorationDate: Date | null };

function linePrice(l: Stripe.InvoiceLineItem): string | Stripe.Price | null {
  return l.pricing?.price_details?.price ?? (l as unknown as { price?: Stripe.Price | null }).price ?? null;
}

export async function resolveUpgradeInvoice(m: EntityManager, stripe: Stripe, invoice: Stripe.Invoice): Promise<ResolvedUpgradeInvoice> {
  if (invoice.status !== "paid") return { invoice, skip: `invoice_${invoice.status ?? "unknown"}` };
  // Not the negative "unused time on the old plan" line; a $0 line counts (an upgrade during a trial is paid by a $0 invoice).
  let lines = invoice.lines.data.filter((l) => l.amount >= 0 && l.parent?.subscription_item_details?.proration === true);
  if (lines.length === 0 && invoice.billing_reason === "subscription_update") lines = invoice.lines.data.filter((l) => l.amount > 0);
  if (lines.length === 0) return { invoice, skip: "no_proration" };
  const packageIds: string[] = [];
  for (const l of lines) {
    const pkg = await packageForStripePrice(m, stripe, linePrice(l));
    if (pkg && !packageIds.includes(pkg.id)) packageIds.push(pkg.id);
  }
  if (packageIds.length === 0) return { invoice, skip: "unknown_price" };
  const starts = lines.map((l) => l.period?.start).filter((t): t is number => typeof t === "number");
  return { invoice, skip: null, packageIds, prorationDate: starts.length > 0 ? fromUnix(Math.min(...starts)) : null };
}

/**
 * Grant the pending upgrade a paid invoice pays for (caller holds the
 * subscription's lock, and `sub` is as Stripe reports it now). Idempotent.
 * Callers use stripe-sync's grantInvoice, which then applies the invoice's refunds and chargebacks.
 */
export async function grantUpgradeInvoice(
  ctx: AppContext, m: EntityManager, r: ResolvedUpgradeInvoice, sub: SubscriptionRow, mail: MailBatch,
): Promise<string> {
  if (r.skip !== null) return `upgrade_${r.skip}`;
  const done: unknown[] = await sql(m, `SELECT 1 FROM subscription_upgrades WHERE stripe_invoice_id = $1`, [r.invoice.id]);
  if (done.length > 0) return "upgrade_already_granted";
  if (!UPGRADE_GRANT_STATUSES.includes(sub.status)) return `upgrade_not_granted:status=${sub.status}`;
  const pending: UpgradeRow[] = await sql(m,
    `SELECT * FROM subscription_upgrades WHERE subscription_id = $1 AND status = 'pending' AND to_package_id = ANY ($2)
      ORDER BY changed_at DESC, id LIMIT 1 FOR UPDATE`,
    [sub.id, r.packageIds],
  );
  const u = pending[0];
  if (!u) return "no_pending_upgrade";
  const from = await getPackage(m, u.from_package_id);
  const to = await getPackage(m, u.to_package_id);
  const at = r.prorationDate ?? u.changed_at;
  // Paid so late that the period is over: a lot that expires at once is worth nothing (rollover plans keep it).
  const lapsed = !to.rollover && u.period_end <= ctx.clock.now();
  const credits = lapsed ? 0 : proratedCredits(toInt(to.credits) - toInt(from.credits), u.period_start, u.period_end, at);
  const transferId = derivedId(r.invoice.id, "upgrade");
  const claimed: unknown[] = await sql(m,
    `UPDATE subscription_upgrades SET status = 'granted', stripe_invoice_id = $2, transfer_id = $3, credits = $4, updated_at = now()
      WHERE id = $1 AND status = 'pending' RETURNING id`,
    [u.id, r.invoice.id, transferId, credits],
  );
  if (claimed.length === 0) return "upgrade_already_granted";
  if (credits === 0) return lapsed ? "upgrade_paid_after_period" : "upgrade_nothing_to_grant";
  await sql(m,
    `INSERT INTO subscription_grants (transfer_id, subscription_id, kind, period_start, period_end, package_id, credits, stripe_invoice_id)
     VALUES ($1, $2, 'upgrade', $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [transferId, sub.id, u.period_start, u.period_end, to.id, credits, r.invoice.id],
  );
  await ledger.grant(m, {
    id: transferId, userId: sub.user_id, amount: credits, creditType: to.credit_type, type: "subscription", category: "subscription",
    expiresAt: to.rollover ? null : u.period_end,
    description: `Upgrade from ${from.name} to ${to.name}: prorated credits for the rest of the period`,
    metadata: { subscription_id: sub.id, from_package_id: from.id, to_package_id: to.id, at: at.toISOString(), stripe_invoice_id: r.invoice.id },
  });
  mail.add(await queueUserEmail(m, ctx.config.PUBLIC_URL ?? null, sub.user_id, `upgrade:${sub.id}:${r.invoice.id}`, {
    kind: "plan_credits", planName: to.name, credits, periodStart: at, periodEnd: u.period_end, rollover: to.rollover, reason: "upgraded",
  }));
  // The invoice's refunds and chargebacks are the caller's to apply, once all of its grants are made (stripe-sync.ts grantInvoice).
  return "upgrade_granted";
}
