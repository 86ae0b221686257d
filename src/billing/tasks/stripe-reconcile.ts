/**
 * Stripe subscriptions whose renewal is overdue: the period ended more than
 * GRACE ago and we saw no renewal. Re-read each from Stripe and sync it — the
 * same code webhooks run — which also grants the new period if its invoice
 * is paid. Covers lost or disabled webhooks; safe to run any number of times.
 */
import { sql } from "../../db/sql";
import type { AppContext } from "../../context";
import { dispatchEmails, MailBatch } from "../../mail/notifications";
import type { ScheduledTask } from "../../lib/scheduled-task";
import { syncStripeSubscription } from "../stripe-sync";

/** How long after a period's end Stripe's renewal counts as overdue (Stripe finalises renewal invoices about an hour in). */
export const RENEWAL_GRACE_MS = 2 * 3600_000;

export async function reconcileStripeSubscriptions(ctx: AppContext, now: Date, limit = 100): Promise<{ checked: number; granted: number; failed: number }> {
  const out = { checked: 0, granted: 0, failed: 0 };
  const stripe = ctx.stripe;
  if (!stripe) return out;
  const due: { stripe_subscription_id: string }[] = await sql(ctx.ds,
    `SELECT stripe_subscription_id FROM subscriptions
      WHERE source = 'stripe' AND status IN ('active', 'trialing', 'past_due') AND current_period_end < $1
      ORDER BY current_period_end LIMIT $2`,
    [new Date(now.getTime() - RENEWAL_GRACE_MS), limit],
  );
  for (const { stripe_subscription_id: id } of due) {
    const mail = new MailBatch();
    try {
      const r = await ctx.ds.transaction((m) => syncStripeSubscription(ctx, m, stripe, id, mail));
      out.checked++;
      if (r.outcome.includes("granted")) out.granted++;
    } catch (err) {
      // One subscription Stripe cannot answer for must not stop the others.
      out.failed++;
      ctx.logger.warn({ err, subscription: id }, "reconciling a Stripe subscription failed; next run retries");
    }
    await dispatchEmails(ctx, mail.ids);
  }
  return out;
}

export function stripeReconcileTask(everyMs = 15 * 60_000): ScheduledTask {
  return { name: "billing-stripe-reconcile", everyMs, run: (ctx, now) => reconcileStripeSubscriptions(ctx, now) };
}
