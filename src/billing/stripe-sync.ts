/**
 * Local subscription state from Stripe's truth.
 *
 * Webhook events arrive late, twice and out of order, so an event about a
 * subscription is only a hint: the subscription is re-read from Stripe and
 * the local row made to match, under a per-subscription advisory lock taken
 * BEFORE the read. Two workers handling two events for one subscription
 * therefore serialise, and the later one reads the newer truth — an older
 * snapshot can never overwrite a newer one.
 *
 * Credits: a period is granted for a PAID invoice only (invoice.paid, or the
 * subscription's latest invoice found paid on any sync), once per period; an
 * upgrade likewise only for its paid proration invoice (upgrades.ts).
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import type { SubscriptionStatus } from "../entities/subscription";
import { UUID_RE } from "../lib/ids";
import type { MailBatch } from "../mail/notifications";
import { linkCustomer, userForCustomer } from "./customers";
import { type PackageRow, packageForStripePrice } from "./packages";
import { fromUnix, refId, type Stripe } from "./stripe-client";
import { grantPeriod, type PlanChange, type SubscriptionRow } from "./subscriptions";
import { applyReversal } from "./reversals";
import { grantUpgradeInvoice, recordPlanChange, type ResolvedUpgradeInvoice, resolveUpgradeInvoice } from "./upgrades";

export interface SyncResult {
  outcome: string;
  subscription: SubscriptionRow | null;
  change?: PlanChange;
}

/** Serialise all work on one Stripe subscription for the rest of the transaction. */
export async function lockStripeSubscription(m: EntityManager, stripeSubscriptionId: string): Promise<void> {
  await sql(m, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`stripe-subscription:${stripeSubscriptionId}`]);
}

function isMissing(err: unknown): boolean {
  const e = err as { type?: string; code?: string; statusCode?: number };
  return e?.type === "StripeInvalidRequestError" && (e.code === "resource_missing" || e.statusCode === 404);
}

interface Period {
  start: Date;
  end: Date;
}

/** The billing period; since API 2025-03-31 it lives on the subscription items. */
function periodOf(s: Stripe.Subscription): Period {
  const item = s.items.data[0];
  // Older API versions kept it on the subscription itself; read either.
  const legacy = s as unknown as { current_period_start?: number; current_period_end?: number };
  const start = item?.current_period_start ?? legacy.current_period_start ?? s.start_date;
  const end = item?.current_period_end ?? legacy.current_period_end ?? start + 30 * 86400;
  return { start: fromUnix(start), end: fromUnix(end) };
}


async function userFor(m: EntityManager, s: Stripe.Subscription): Promise<string | null> {
  const meta = s.metadata?.user_id;
  if (meta && UUID_RE.test(meta)) {
    const rows: unknown[] = await sql(m, `SELECT 1 FROM users WHERE id = $1`, [meta]);
    if (rows.length > 0) return meta;
  }
  const customer = refId(s.customer);
  return customer ? userForCustomer(m, customer) : null;
}

/**
 * Re-read one Stripe subscription and make the local row match; grant the
 * latest invoice's period if it is paid. Caller's transaction; idempotent.
 */
export async function syncStripeSubscription(
  ctx: AppContext, m: EntityManager, stripe: Stripe, stripeSubscriptionId: string, mail: MailBatch,
): Promise<SyncResult> {
  await lockStripeSubscription(m, stripeSubscriptionId);
  let s: Stripe.Subscription;
  try {
    s = await stripe.subscriptions.retrieve(stripeSubscriptionId);
  } catch (err) {
    if (isMissing(err)) return { outcome: "subscription_missing_in_stripe", subscription: null };
    throw err;
  }
  const pkg = await packageForStripePrice(m, stripe, s.items.data[0]?.price);
  if (!pkg) return { outcome: "unknown_price", subscription: null };
  // Every read from Stripe happens here, before the first ledger write: a grant locks the user's
  // account row until commit, and a slow Stripe must not keep that user's submissions waiting.
  const latest = s.latest_invoice;
  const latestInvoice = latest ? (typeof latest === "string" ? await stripe.invoices.retrieve(latest) : latest) : null;
  const invoice = latestInvoice ? await resolvePaidInvoice(m, stripe, latestInvoice) : null;
  // The latest invoice may also be the paid proration of an upgrade (ours, or one made in Stripe's portal).
  const upgradeInvoice = latestInvoice ? await resolveUpgradeInvoice(m, stripe, latestInvoice) : null;
  const period = periodOf(s);
  const status = s.status as SubscriptionStatus;
  const customer = refId(s.customer);
  const canceledAt = s.canceled_at ? fromUnix(s.canceled_at) : null;
  const endedAt = s.ended_at ? fromUnix(s.ended_at) : null;

  const found: SubscriptionRow[] = await sql(m, `SELECT * FROM subscriptions WHERE stripe_subscription_id = $1 FOR UPDATE`, [s.id]);
  let row = found[0] ?? null;
  let outcome: string;
  let change: PlanChange | undefined;
  if (!row) {
    const userId = await userFor(m, s);
    if (!userId) return { outcome: "unknown_user", subscription: null };
    if (customer) await linkCustomer(m, userId, customer);
    const rows: SubscriptionRow[] = await sql(m,
      `INSERT INTO subscriptions (user_id, package_id, source, status, stripe_subscription_id, stripe_customer_id, current_period_start,
                                  current_period_end, billing_anchor, cancel_at_period_end, canceled_at, ended_at)
       VALUES ($1, $2, 'stripe', $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
      [userId, pkg.id, status, s.id, customer, period.start, period.end, fromUnix(s.billing_cycle_anchor ?? s.start_date),
        s.cancel_at_period_end, canceledAt, endedAt],
    );
    row = rows[0]!;
    outcome = "created";
  } else {
    if (period.start > row.current_period_start) {
      // A new period: the plan Stripe bills now is the plan (a scheduled downgrade lands here).
      await sql(m,
        `UPDATE subscriptions SET package_id = $2, pending_package_id = NULL, current_period_start = $3, current_period_end = $4 WHERE id = $1`,
        [row.id, pkg.id, period.start, period.end],
      );
      Object.assign(row, { package_id: pkg.id, pending_package_id: null, current_period_start: period.start, current_period_end: period.end });
    } else if (period.start.getTime() === row.current_period_start.getTime()) {
      // An upgrade is recorded and waits for its paid proration invoice (upgrades.ts); no credits here.
      change = await recordPlanChange(ctx, m, row, pkg, ctx.clock.now(), mail);
    }
    await sql(m,
      `UPDATE subscriptions SET status = $2, cancel_at_period_end = $3, canceled_at = $4, ended_at = $5, stripe_customer_id = coalesce(stripe_customer_id, $6),
              updated_at = now() WHERE id = $1`,
      [row.id, status, s.cancel_at_period_end, canceledAt, endedAt, customer],
    );
    Object.assign(row, { status, cancel_at_period_end: s.cancel_at_period_end, canceled_at: canceledAt, ended_at: endedAt });
    outcome = "updated";
  }

  if (latestInvoice) {
    const r = await grantInvoice(ctx, m, invoice, upgradeInvoice, row, mail);
    if (r.period === "granted") outcome += "+granted";
    if (r.upgrade === "upgrade_granted") outcome += "+upgrade_granted";
  }
  return { outcome, subscription: row, change };
}

/** The subscription an invoice belongs to (parent.subscription_details since API 2025-03-31). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  const fromParent = refId(invoice.parent?.subscription_details?.subscription ?? null);
  return fromParent ?? refId((invoice as unknown as { subscription?: string | null }).subscription ?? null);
}

/** A paid invoice and the package it pays for, resolved before any ledger write (see resolvePaidInvoice). */
export type ResolvedInvoice =
  | { invoice: Stripe.Invoice; skip: string }
  | { invoice: Stripe.Invoice; skip: null; pkg: PackageRow; line: Stripe.InvoiceLineItem };

/**
 * What a paid subscription invoice would grant. Only the invoices that open a
 * period count: the first (subscription_create) and each renewal
 * (subscription_cycle); proration invoices of upgrades are upgrades.ts's. May call Stripe (a price this database did not create),
 * so call it before anything locks an account.
 */
export async function resolvePaidInvoice(m: EntityManager, stripe: Stripe, invoice: Stripe.Invoice): Promise<ResolvedInvoice> {
  if (invoice.status !== "paid") return { invoice, skip: `invoice_${invoice.status ?? "unknown"}` };
  if (invoice.billing_reason !== "subscription_create" && invoice.billing_reason !== "subscription_cycle") return { invoice, skip: "not_a_period_invoice" };
  const line = invoice.lines.data.find((l) => l.parent?.type === "subscription_item_details" && !l.parent.subscription_item_details?.proration)
    ?? invoice.lines.data[0];
  if (!line) return { invoice, skip: "invoice_without_lines" };
  const price = line.pricing?.price_details?.price ?? (line as unknown as { price?: Stripe.Price | null }).price ?? null;
  const pkg = await packageForStripePrice(m, stripe, price);
  if (!pkg) return { invoice, skip: "unknown_price" };
  return { invoice, skip: null, pkg, line };
}

/** Grant the period of a resolved paid invoice (caller holds the subscription's lock); no outside call. */
export async function grantPaidInvoice(ctx: AppContext, m: EntityManager, r: ResolvedInvoice, sub: SubscriptionRow, mail: MailBatch): Promise<string> {
  if (r.skip !== null) return r.skip;
  return grantPeriod(ctx, m, sub, r.pkg, {
    start: fromUnix(r.line.period.start), end: fromUnix(r.line.period.end), invoiceId: r.invoice.id, amountCents: r.invoice.amount_paid, reason: "paid",
  }, mail);
}

/**
 * Grant what a paid invoice pays for — the period it opens, the upgrade whose
 * proration it carries, or both — then apply its refunds and chargebacks
 * recorded before it was granted (reversals.ts) to all of it at once: one
 * freeze of every lot for a chargeback, each credit type's share of a refund.
 */
export async function grantInvoice(
  ctx: AppContext, m: EntityManager, period: ResolvedInvoice | null, upgrade: ResolvedUpgradeInvoice | null, sub: SubscriptionRow, mail: MailBatch,
): Promise<{ period: string | null; upgrade: string | null }> {
  const p = period ? await grantPaidInvoice(ctx, m, period, sub, mail) : null;
  const u = upgrade ? await grantUpgradeInvoice(ctx, m, upgrade, sub, mail) : null;
  const invoiceId = (period ?? upgrade)?.invoice.id;
  if ((p === "granted" || u === "upgrade_granted") && invoiceId) await applyReversal(ctx, m, { invoiceId }, mail);
  return { period: p, upgrade: u };
}

/** resolvePaidInvoice then grantInvoice (its period only); where an account may already be locked, resolve first instead. */
export async function applyPaidInvoice(
  ctx: AppContext, m: EntityManager, stripe: Stripe, invoice: Stripe.Invoice, sub: SubscriptionRow, mail: MailBatch,
): Promise<string> {
  return (await grantInvoice(ctx, m, await resolvePaidInvoice(m, stripe, invoice), null, sub, mail)).period!;
}
