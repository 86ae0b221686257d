/**
 * Raising an anomaly alert: a row in `alerts`, a warn log line, and an email
 * to ADMIN_EMAIL — all once per (type, subject, window). The window is a
 * fixed bucket of ALERT_WINDOW_MINUTES (or the detector's own), and
 * `alerts.dedupe_key` is UNIQUE, so a detector re-run, a retried tick or two
 * processes seeing the same thing insert one row, and only the call that
 * inserted it queues the email (same transaction; the notification's own
 * dedupe key is the alert id). The Prometheus counter
 * `holdfast_alerts_total{type}` is read from this table at scrape time, so it
 * counts alerts raised by every process, scheduler included.
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import { dispatchEmails, queueEmail } from "../mail/notifications";

export const ALERT_TYPES = ["spend_spike", "estimate_drift", "repeated_402", "ledger_check_failed"] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export interface NewAlert {
  type: AlertType;
  /** What the alert is about, for dedupe: a user id, a job kind, a key hash, "ledger". */
  subject: string;
  userId: string | null;
  /** A sentence for the log and the email subject. */
  summary: string;
  details: Record<string, unknown>;
  now: Date;
  /** Dedupe window in ms (default ALERT_WINDOW_MINUTES). */
  windowMs?: number;
}

export interface AlertView {
  id: string;
  type: AlertType;
  user_id: string | null;
  details: Record<string, unknown>;
  created_at: string;
}

/** Fixed window number of `now`: the same for every call within one window. */
export function windowBucket(now: Date, windowMs: number): number {
  return Math.floor(now.getTime() / windowMs);
}

/** Raise an alert; returns it when this call raised it, null when it was already raised in this window. */
export async function raiseAlert(ctx: AppContext, a: NewAlert): Promise<AlertView | null> {
  const windowMs = a.windowMs ?? ctx.config.ALERT_WINDOW_MINUTES * 60_000;
  const dedupeKey = `${a.type}:${a.subject}:${windowBucket(a.now, windowMs)}`;
  const details = { ...a.details, summary: a.summary };
  const out = await ctx.ds.transaction(async (m) => {
    const rows = await sql<{ id: string; created_at: Date }>(m,
      `INSERT INTO alerts (type, user_id, dedupe_key, details, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, created_at`,
      [a.type, a.userId, dedupeKey, JSON.stringify(details), a.now],
    );
    const row = rows[0];
    if (!row) return null;
    const to = ctx.config.ADMIN_EMAIL;
    const mailId = to
      ? await queueEmail(m, ctx.config.PUBLIC_URL ?? null, {
          userId: null, to, name: null, dedupeKey: `alert:${row.id}`,
          message: { kind: "admin_alert", alertType: a.type, alertId: row.id, summary: a.summary, details },
        })
      : null;
    return { view: { id: row.id, type: a.type, user_id: a.userId, details, created_at: row.created_at.toISOString() }, mailId };
  });
  if (!out) return null;
  ctx.logger.warn({ alert: out.view.id, type: a.type, userId: a.userId, details: a.details }, `alert: ${a.summary}`);
  if (out.mailId) await dispatchEmails(ctx, [out.mailId]);
  return out.view;
}
