/**
 * Subscriptions as Holdfast keeps them, whoever drives them (Stripe or an
 * admin): reading, period grants and plan changes.
 *
 * Credits of a period are granted once per (subscription, period start): a
 * unique key on subscription_grants decides, and the ledger transfer id is
 * derived from the same pair, so even a path that skipped the table could
 * not grant twice. Callers hold the subscription row FOR UPDATE (or the
 * per-subscription advisory lock) while they change it.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { LIVE_SUBSCRIPTION_STATUSES, type SubscriptionSource, type SubscriptionStatus } from "../entities/subscription";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import { toInt } from "../ledger/types";
import { type MailBatch, queueUserEmail } from "../mail/notifications";
import { getPackage, type PackageRow, packageView, type PackageView } from "./packages";
import { proratedCredits } from "./periods";

export interface SubscriptionRow {
  id: string;
  user_id: string;
  package_id: string;
  pending_package_id: string | null;
  source: SubscriptionSource;
  status: SubscriptionStatus;
  stripe_subscription_id: string | null;
  stripe_customer_id: string | null;
  current_period_start: Date;
  current_period_end: Date;
  billing_anchor: Date;
  cancel_at_period_end: boolean;
  canceled_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface SubscriptionView {
  id: string;
  status: SubscriptionStatus;
  source: SubscriptionSource;
  package: PackageView;
  /** A downgrade that takes effect at current_period_end. */
  pending_package: PackageView | null;
  current_period_start: string;
  current_period_end: string;
  cancel_at_period_end: boolean;
  canceled_at: string | null;
  ended_at: string | null;
  stripe_subscription_id: string | null;
  credits_granted_this_period: number;
  created_at: string;
}

export const LIVE = LIVE_SUBSCRIPTION_STATUSES as SubscriptionStatus[];

export async function subscriptionView(m: EntityManager, s: SubscriptionRow): Promise<SubscriptionView> {
  const pkg = await getPackage(m, s.package_id);
  const pending = s.pending_package_id ? await getPackage(m, s.pending_package_id) : null;
  const granted: { credits: string | null }[] = await sql(m,
    `SELECT sum(credits) AS credits FROM subscription_grants WHERE subscription_id = $1 AND period_start = $2`,
    [s.id, s.current_period_start],
  );
  return {
    id: s.id, status: s.status, source: s.source, package: packageView(pkg), pending_package: pending ? packageView(pending) : null,
    current_period_start: s.current_period_start.toISOString(), current_period_end: s.current_period_end.toISOString(),
    cancel_at_period_end: s.cancel_at_period_end, canceled_at: s.canceled_at?.toISOString() ?? null, ended_at: s.ended_at?.toISOString() ?? null,
    stripe_subscription_id: s.stripe_subscription_id, credits_granted_this_period: toInt(granted[0]?.credits ?? 0),
    created_at: s.created_at.toISOString(),
  };
}

/** All of a user's subscriptions, newest first. */
export async function userSubscriptions(m: EntityManager, userId: string): Promise<SubscriptionRow[]> {
  return sql(m, `SELECT * FROM subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100`, [userId]);
}

/** The user's live subscription (the newest, should there ever be two). */
export async function liveSubscription(m: EntityManager, userId: string, lock = false): Promise<SubscriptionRow | null> {
  const rows: SubscriptionRow[] = await sql(m,
    `SELECT * FROM subscriptions WHERE user_id = $1 AND status = ANY ($2) ORDER BY created_at DESC, id DESC LIMIT 1${lock ? " FOR UPDATE" : ""}`,
    [userId, LIVE],
  );
  return rows[0] ?? null;
}

export async function loadSubscription(m: EntityManager, id: string, lock = false): Promise<SubscriptionRow | null> {
  const rows: SubscriptionRow[] = await sql(m, `SELECT * FROM subscriptions WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return rows[0] ?? null;
}

/** The stable key of a subscription for derived ids: Stripe's id when it has one. */
function grantKey(s: SubscriptionRow): string {
  return s.stripe_subscription_id ?? s.id;
}

export interface PeriodGrant {
  start: Date;
  end: Date;
  /** Stripe invoice that paid for it (Stripe plans). */
  invoiceId?: string | null;
  amountCents?: number | null;
  /** For the email: a new plan, an admin renewal, or a paid Stripe period. */
  reason: "assigned" | "renewed" | "paid";
}

/**
 * Grant one period's credits as a subscription lot expiring at the period's
 * end (never, for a rollover plan). Once per (subscription, period start).
 */
export async function grantPeriod(
  ctx: AppContext, m: EntityManager, s: SubscriptionRow, pkg: PackageRow, p: PeriodGrant, mail: MailBatch,
): Promise<"granted" | "already_granted"> {
  // A Stripe invoice's refunds and chargebacks are its caller's to apply once all of the invoice's grants are made (stripe-sync.ts).
  return grantPeriodCredits(ctx, m, s, pkg, p, mail);
}

async function grantPeriodCredits(
  ctx: AppContext, m: EntityManager, s: SubscriptionRow, pkg: PackageRow, p: PeriodGrant, mail: MailBatch,
): Promise<"granted" | "already_granted"> {
  const transferId = derivedId(`${grantKey(s)}:${p.start.toISOString()}`, "period");
  const credits = toInt(pkg.credits);
  const inserted: unknown[] = await sql(m,
    `INSERT INTO subscription_grants (transfer_id, subscription_id, kind, period_start, period_end, package_id, credits, stripe_invoice_id)
     VALUES ($1, $2, 'period', $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING transfer_id`,
    [transferId, s.id, p.start, p.end, pkg.id, credits, p.invoiceId ?? null],
  );
  if (inserted.length === 0) return "already_granted";
  await ledger.grant(m, {
    id: transferId, userId: s.user_id, amount: credits, creditType: pkg.credit_type, type: "subscription", category: "subscription",
    expiresAt: pkg.rollover ? null : p.end,
    description: `${pkg.name} plan: credits for ${p.start.toISOString().slice(0, 10)} to ${p.end.toISOString().slice(0, 10)}`,
    metadata: { subscription_id: s.id, package_id: pkg.id, period_start: p.start.toISOString(), stripe_invoice_id: p.invoiceId ?? null },
  });
  const publicUrl = ctx.config.PUBLIC_URL ?? null;
  const dedupe = `period_credits:${s.id}:${p.start.toISOString()}`;
  mail.add(
    p.reason === "paid"
      ? await queueUserEmail(m, publicUrl, s.user_id, dedupe, {
          kind: "subscription_receipt", planName: pkg.name, credits, amountCents: p.amountCents ?? pkg.price_cents,
          periodStart: p.start, periodEnd: p.end, rollover: pkg.rollover,
        })
      : await queueUserEmail(m, publicUrl, s.user_id, dedupe, {
          kind: "plan_credits", planName: pkg.name, credits, periodStart: p.start, periodEnd: p.end, rollover: pkg.rollover, reason: p.reason,
        }),
  );
  return "granted";
}

export type PlanChange = "upgraded" | "downgrade_scheduled" | "downgrade_canceled" | "unchanged";

/**
 * Move a subscription (row held FOR UPDATE) to `target` within its current
 * period. An upgrade (more credits) takes effect now and grants the prorated
 * difference at once; a downgrade waits for the period's end
 * (pending_package_id); asking for the current plan cancels a pending downgrade.
 */
export async function applyPlanChange(
  ctx: AppContext, m: EntityManager, s: SubscriptionRow, target: PackageRow, now: Date, mail: MailBatch,
): Promise<PlanChange> {
  if (target.id === s.package_id) {
    if (!s.pending_package_id) return "unchanged";
    await sql(m, `UPDATE subscriptions SET pending_package_id = NULL, updated_at = now() WHERE id = $1`, [s.id]);
    s.pending_package_id = null;
    return "downgrade_canceled";
  }
  const current = await getPackage(m, s.package_id);
  if (toInt(target.credits) <= toInt(current.credits)) {
    await sql(m, `UPDATE subscriptions SET pending_package_id = $2, updated_at = now() WHERE id = $1`, [s.id, target.id]);
    s.pending_package_id = target.id;
    return "downgrade_scheduled";
  }
  const extra = proratedCredits(toInt(target.credits) - toInt(current.credits), s.current_period_start, s.current_period_end, now);
  if (extra > 0) {
    const transferId = derivedId(`${grantKey(s)}:${s.current_period_start.toISOString()}:${target.id}`, "upgrade");
    const inserted: unknown[] = await sql(m,
      `INSERT INTO subscription_grants (transfer_id, subscription_id, kind, period_start, period_end, package_id, credits)
       VALUES ($1, $2, 'upgrade', $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING transfer_id`,
      [transferId, s.id, s.current_period_start, s.current_period_end, target.id, extra],
    );
    if (inserted.length > 0) {
      await ledger.grant(m, {
        id: transferId, userId: s.user_id, amount: extra, creditType: target.credit_type, type: "subscription", category: "subscription",
        expiresAt: target.rollover ? null : s.current_period_end,
        description: `Upgrade from ${current.name} to ${target.name}: prorated credits for the rest of the period`,
        metadata: { subscription_id: s.id, from_package_id: current.id, to_package_id: target.id, at: now.toISOString() },
      });
      mail.add(await queueUserEmail(m, ctx.config.PUBLIC_URL ?? null, s.user_id, `upgrade:${s.id}:${s.current_period_start.toISOString()}:${target.id}`, {
        kind: "plan_credits", planName: target.name, credits: extra, periodStart: now, periodEnd: s.current_period_end,
        rollover: target.rollover, reason: "upgraded",
      }));
    }
  }
  await sql(m, `UPDATE subscriptions SET package_id = $2, pending_package_id = NULL, updated_at = now() WHERE id = $1`, [s.id, target.id]);
  s.package_id = target.id;
  s.pending_package_id = null;
  return "upgraded";
}
