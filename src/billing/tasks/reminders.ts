/**
 * Renewal reminders a few days before a period ends: one per subscription
 * and period (dedupe key), for plans that renew and for plans that end.
 */
import { sql } from "../../db/sql";
import type { AppContext } from "../../context";
import { dispatchEmails, MailBatch, queueUserEmail } from "../../mail/notifications";
import type { ScheduledTask } from "../../lib/scheduled-task";

/** Days before the period's end the reminder goes out. */
export const REMINDER_DAYS = 3;

export async function sendRenewalReminders(ctx: AppContext, now: Date): Promise<{ reminded: number }> {
  const mail = new MailBatch();
  await ctx.ds.transaction(async (m) => {
    const due: { id: string; user_id: string; source: string; current_period_end: Date; cancel_at_period_end: boolean; name: string; price_cents: number }[] =
      await sql(m,
        `SELECT s.id, s.user_id, s.source, s.current_period_end, s.cancel_at_period_end, p.name, p.price_cents
           FROM subscriptions s JOIN packages p ON p.id = coalesce(s.pending_package_id, s.package_id)
          WHERE s.status IN ('active', 'trialing') AND s.current_period_end > $1 AND s.current_period_end <= $2`,
        [now, new Date(now.getTime() + REMINDER_DAYS * 86_400_000)],
      );
    for (const s of due) {
      mail.add(await queueUserEmail(m, ctx.config.PUBLIC_URL ?? null, s.user_id, `renewal_reminder:${s.id}:${s.current_period_end.toISOString()}`, {
        kind: "renewal_reminder", planName: s.name, periodEnd: s.current_period_end,
        // Admin plans are invoiced outside Holdfast: no amount to quote.
        priceCents: s.source === "stripe" ? s.price_cents : null, cancelAtPeriodEnd: s.cancel_at_period_end,
      }));
    }
  });
  await dispatchEmails(ctx, mail.ids);
  return { reminded: mail.ids.length };
}

export function renewalRemindersTask(everyMs = 60 * 60_000): ScheduledTask {
  return { name: "billing-renewal-reminders", everyMs, run: (ctx, now) => sendRenewalReminders(ctx, now) };
}
