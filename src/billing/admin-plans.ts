/**
 * Plans without Stripe, for invoiced customers: an admin assigns or changes a
 * user's plan; the first period is granted at once and the scheduler renews
 * it every calendar month from the assignment (renewAdminPlans).
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import { InvalidState, NotFound } from "../errors";
import { UUID_RE } from "../lib/ids";
import { dispatchEmails, MailBatch } from "../mail/notifications";
import { getPackage, requirePackage } from "./packages";
import { periodAt, periodContaining } from "./periods";
import { applyPlanChange, grantPeriod, liveSubscription, loadSubscription, type PlanChange, type SubscriptionRow, type SubscriptionView, subscriptionView, userSubscriptions } from "./subscriptions";

async function requireUser(ctx: AppContext, userId: string): Promise<void> {
  const rows: unknown[] = UUID_RE.test(userId) ? await sql(ctx.ds, `SELECT 1 FROM users WHERE id = $1`, [userId]) : [];
  if (rows.length === 0) throw new NotFound("User");
}

export interface AssignResult {
  action: "assigned" | Exclude<PlanChange, "unchanged"> | "unchanged";
  subscription: SubscriptionView;
}

/**
 * Assign (or change) a user's plan without Stripe. Concurrent assignments for
 * one user are serialised by an advisory lock, so two racing calls cannot
 * create two plans.
 */
export async function assignPlan(ctx: AppContext, userId: string, packageIdOrCode: string): Promise<AssignResult> {
  await requireUser(ctx, userId);
  const pkg = await requirePackage(ctx, packageIdOrCode);
  const now = ctx.clock.now();
  const mail = new MailBatch();
  const out = await ctx.ds.transaction(async (m) => {
    await sql(m, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`admin-plan:${userId}`]);
    const current = await liveSubscription(m, userId, true);
    if (current?.source === "stripe") {
      throw new InvalidState("This user pays through Stripe; cancel that subscription before assigning a plan.", { subscription_id: current.id });
    }
    if (current) {
      const action = await applyPlanChange(ctx, m, current, pkg, now, mail);
      return { action, sub: current };
    }
    const p = periodAt(now, 0);
    const rows: SubscriptionRow[] = await sql(m,
      `INSERT INTO subscriptions (user_id, package_id, source, status, current_period_start, current_period_end, billing_anchor)
       VALUES ($1, $2, 'admin', 'active', $3, $4, $3) RETURNING *`,
      [userId, pkg.id, p.start, p.end],
    );
    const sub = rows[0]!;
    await grantPeriod(ctx, m, sub, pkg, { start: p.start, end: p.end, reason: "assigned" }, mail);
    return { action: "assigned" as const, sub };
  });
  await dispatchEmails(ctx, mail.ids);
  return { action: out.action, subscription: await subscriptionView(ctx.ds.manager, out.sub) };
}

/** End a user's admin plan at the period's end (its credits stay until they expire). */
export async function cancelAdminPlan(ctx: AppContext, userId: string): Promise<SubscriptionView> {
  await requireUser(ctx, userId);
  const sub = await ctx.ds.transaction(async (m) => {
    const current = await liveSubscription(m, userId, true);
    if (!current) throw new InvalidState("This user has no plan.");
    if (current.source !== "admin") throw new InvalidState("This user pays through Stripe; cancel it there.", { subscription_id: current.id });
    await sql(m, `UPDATE subscriptions SET cancel_at_period_end = true, updated_at = now() WHERE id = $1`, [current.id]);
    return { ...current, cancel_at_period_end: true };
  });
  return subscriptionView(ctx.ds.manager, sub);
}

export async function adminSubscriptionInfo(ctx: AppContext, userId: string): Promise<{ user_id: string; current: SubscriptionView | null; subscriptions: SubscriptionView[] }> {
  await requireUser(ctx, userId);
  const m = ctx.ds.manager;
  const all = await userSubscriptions(m, userId);
  const live = await liveSubscription(m, userId);
  return {
    user_id: userId,
    current: live ? await subscriptionView(m, live) : null,
    subscriptions: await Promise.all(all.map((s) => subscriptionView(m, s))),
  };
}

/**
 * Renew admin plans whose period has ended (scheduled). Each in its own
 * transaction, re-checked under the row lock, so a second run — or two
 * schedulers — change nothing. After downtime the plan jumps to the period
 * containing `now` and grants only that one: credits for periods already
 * over would expire the moment they were granted.
 */
export async function renewAdminPlans(ctx: AppContext, now: Date, batch = 200): Promise<{ renewed: number; ended: number }> {
  const out = { renewed: 0, ended: 0 };
  for (;;) {
    const due: { id: string }[] = await sql(ctx.ds,
      `SELECT id FROM subscriptions WHERE source = 'admin' AND status IN ('active', 'trialing', 'past_due') AND current_period_end <= $1
        ORDER BY current_period_end LIMIT $2`,
      [now, batch],
    );
    for (const { id } of due) {
      const mail = new MailBatch();
      const r = await ctx.ds.transaction(async (m) => {
        const s = await loadSubscription(m, id, true);
        if (!s || s.source !== "admin" || s.current_period_end > now || !["active", "trialing", "past_due"].includes(s.status)) return "skip";
        if (s.cancel_at_period_end) {
          await sql(m,
            `UPDATE subscriptions SET status = 'canceled', canceled_at = coalesce(canceled_at, $2), ended_at = current_period_end, updated_at = now() WHERE id = $1`,
            [s.id, now],
          );
          return "ended";
        }
        const p = periodContaining(s.billing_anchor, now);
        const pkgId = s.pending_package_id ?? s.package_id;
        await sql(m,
          `UPDATE subscriptions SET package_id = $2, pending_package_id = NULL, current_period_start = $3, current_period_end = $4, updated_at = now() WHERE id = $1`,
          [s.id, pkgId, p.start, p.end],
        );
        const renewed: SubscriptionRow = { ...s, package_id: pkgId, pending_package_id: null, current_period_start: p.start, current_period_end: p.end };
        await grantPeriod(ctx, m, renewed, await getPackage(m, pkgId), { start: p.start, end: p.end, reason: "renewed" }, mail);
        return "renewed";
      });
      await dispatchEmails(ctx, mail.ids);
      if (r === "renewed") out.renewed++;
      if (r === "ended") out.ended++;
    }
    if (due.length < batch) return out;
  }
}
