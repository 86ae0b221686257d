/**
 * Sending one stored notification (the mail worker, src/workers/mail-worker.ts,
 * calls this for each id off the mail queue): send, mark it sent. Retries
 * with backoff (MAIL_ATTEMPTS); when attempts run out the row is marked
 * failed with the last error.
 *
 * Delivery is at-least-once: a crash after the SMTP server accepted a
 * message but before the row was marked sent re-sends it on retry (with the
 * same Message-ID). A row already marked sent is never sent again.
 */
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import type { Mailer } from "./transport";

interface Row {
  id: string;
  kind: string;
  to_address: string;
  subject: string;
  body_text: string;
  body_html: string;
}

export async function sendNotification(ctx: AppContext, mailer: Mailer, id: string): Promise<"sent" | "skipped"> {
  const rows = await sql<Row>(
    ctx.ds,
    `UPDATE notifications SET attempts = attempts + 1 WHERE id = $1 AND status = 'pending'
     RETURNING id, kind, to_address, subject, body_text, body_html`,
    [id],
  );
  const n = rows[0];
  if (!n) return "skipped"; // already sent (or failed for good, or unknown): nothing to do
  try {
    const info = await mailer.send({ id: n.id, kind: n.kind, to: n.to_address, subject: n.subject, text: n.body_text, html: n.body_html });
    await sql(ctx.ds, `UPDATE notifications SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1 AND status = 'pending'`, [id]);
    ctx.logger.debug({ notification: id, kind: n.kind, messageId: info.messageId }, "email sent");
    return "sent";
  } catch (err) {
    await sql(ctx.ds, `UPDATE notifications SET last_error = $2 WHERE id = $1`, [id, String((err as Error)?.message ?? err).slice(0, 1000)]);
    throw err;
  }
}

/** Attempts ran out: the message is failed for good (its last error is kept). */
export async function markNotificationFailed(ctx: AppContext, id: string): Promise<void> {
  await sql(ctx.ds, `UPDATE notifications SET status = 'failed' WHERE id = $1 AND status = 'pending'`, [id]);
}
