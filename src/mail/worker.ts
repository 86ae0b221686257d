/**
 * The mail worker: takes notification ids off the mail queue, sends the
 * stored message, marks it sent. Retries with backoff (MAIL_ATTEMPTS); when
 * attempts run out the row is marked failed with the last error.
 *
 * Delivery is at-least-once: a crash after the SMTP server accepted a
 * message but before the row was marked sent re-sends it on retry (with the
 * same Message-ID). A row already marked sent is never sent again.
 */
import { type Job as BullJob, Worker } from "bullmq";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import { createRedis, QUEUE } from "../queues";
import { MAIL_ATTEMPTS } from "./notifications";
import { createMailer, type Mailer } from "./transport";

export interface MailJobData {
  notificationId: string;
}

export interface MailWorker {
  worker: Worker<MailJobData>;
  mailer: Mailer;
  close(timeoutMs?: number): Promise<void>;
}

export interface MailWorkerOptions {
  /** Parallel sends per process (default 4). */
  concurrency?: number;
  mailer?: Mailer;
}

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
    await ctx.ds.query(`UPDATE notifications SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1 AND status = 'pending'`, [id]);
    ctx.logger.debug({ notification: id, kind: n.kind, messageId: info.messageId }, "email sent");
    return "sent";
  } catch (err) {
    await ctx.ds.query(`UPDATE notifications SET last_error = $2 WHERE id = $1`, [id, String((err as Error)?.message ?? err).slice(0, 1000)]);
    throw err;
  }
}

export function startMailWorker(ctx: AppContext, opts: MailWorkerOptions = {}): MailWorker {
  const mailer = opts.mailer ?? createMailer(ctx.config, ctx.logger);
  const connection = createRedis(ctx.config.REDIS_URL);
  const worker = new Worker<MailJobData>(QUEUE.mail, (job) => sendNotification(ctx, mailer, job.data.notificationId), {
    connection,
    prefix: ctx.config.QUEUE_PREFIX,
    concurrency: opts.concurrency ?? 4,
  });
  worker.on("error", (err) => ctx.logger.error({ err }, "mail worker error"));
  worker.on("failed", (job: BullJob<MailJobData> | undefined, err: Error) => {
    if (!job) return;
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? MAIL_ATTEMPTS);
    ctx.logger.warn({ err, notification: job.data.notificationId, attempt: job.attemptsMade, exhausted }, "sending an email failed");
    if (!exhausted) return;
    ctx.ds
      .query(`UPDATE notifications SET status = 'failed' WHERE id = $1 AND status = 'pending'`, [job.data.notificationId])
      .catch((e: unknown) => ctx.logger.error({ err: e }, "could not mark a notification failed"));
  });
  ctx.logger.info({ target: mailer.target }, "mail worker started");
  return {
    worker,
    mailer,
    async close(timeoutMs = ctx.config.SHUTDOWN_TIMEOUT_MS) {
      const closing = worker.close();
      const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
      if ((await Promise.race([closing, timer])) === "timeout") await worker.close(true);
      connection.disconnect();
      mailer.close();
    },
  };
}
