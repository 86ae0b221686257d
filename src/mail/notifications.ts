/**
 * Queueing email. A message is first a row in `notifications`, written in the
 * caller's transaction with a dedupe key (INSERT … ON CONFLICT DO NOTHING):
 * the same fact — this crossing, this invoice, this reminder — can be queued
 * any number of times, by any number of racing processes, and is mailed once.
 * After the caller commits, `dispatchEmails` hands the ids to the mail queue;
 * if that step is lost (crash, Redis down) the mail relay task re-dispatches
 * pending rows, so no committed message is lost.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { addById } from "../queues";
import { type MailMessage, render } from "./templates";

/** Attempts per message before it is marked failed (default backoff doubles from 5 s). */
export const MAIL_ATTEMPTS = 8;
export const MAIL_BACKOFF_MS = 5_000;

export interface QueueEmail {
  userId: string | null;
  to: string;
  name?: string | null;
  /** Unique per fact mailed about, e.g. `low_credit:<account>:<crossing>`. */
  dedupeKey: string;
  message: MailMessage;
}

/**
 * Insert the notification in the caller's transaction; returns its id when
 * this call created it, null when the dedupe key was already used.
 */
export async function queueEmail(m: EntityManager, publicUrl: string | null, e: QueueEmail): Promise<string | null> {
  const r = render(e.message, { name: e.name ?? null, publicUrl });
  const rows: { id: string }[] = await sql(m,
    `INSERT INTO notifications (user_id, kind, dedupe_key, to_address, subject, body_text, body_html)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [e.userId, e.message.kind, e.dedupeKey, e.to, r.subject, r.text, r.html],
  );
  return rows[0]?.id ?? null;
}

/** `queueEmail` to a user's address (looked up in the same transaction); null if deduped or the user is gone. */
export async function queueUserEmail(
  m: EntityManager, publicUrl: string | null, userId: string, dedupeKey: string, message: MailMessage,
): Promise<string | null> {
  const users: { email: string; name: string | null }[] = await sql(m, `SELECT email, name FROM users WHERE id = $1`, [userId]);
  const u = users[0];
  if (!u) return null;
  return queueEmail(m, publicUrl, { userId, to: u.email, name: u.name, dedupeKey, message });
}

/**
 * Collects the ids of messages queued inside a transaction, to dispatch
 * after it commits (never before: a rolled-back message must not be sent).
 */
export class MailBatch {
  readonly ids: string[] = [];
  add(id: string | null): void {
    if (id) this.ids.push(id);
  }
}

/** Hand committed notifications to the mail queue (job id = notification id, so twice is a no-op). */
export async function dispatchEmails(ctx: AppContext, ids: string[]): Promise<void> {
  await addById(ctx.queues.mail, ids.map((id) => ({ id, data: { notificationId: id }, attempts: MAIL_ATTEMPTS })), {
    name: "send", backoffMs: MAIL_BACKOFF_MS, keepCompletedSeconds: 24 * 3600, logger: ctx.logger, what: "mail",
  });
}
