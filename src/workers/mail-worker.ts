/**
 * The mail worker: takes notification ids off the mail queue and sends each
 * stored message (src/mail/send.ts). Delivery is at-least-once: a crash after
 * the SMTP server accepted a message but before the row was marked sent
 * re-sends it on retry (with the same Message-ID).
 */
import { type Job as BullJob, Worker } from "bullmq";
import type { AppContext } from "../context";
import { MAIL_ATTEMPTS } from "../mail/notifications";
import { markNotificationFailed, sendNotification } from "../mail/send";
import { createMailer, type Mailer } from "../mail/transport";
import { createRedis, QUEUE } from "../queues";
import { closeWorker } from "./close";

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
    markNotificationFailed(ctx, job.data.notificationId).catch((e: unknown) => ctx.logger.error({ err: e }, "could not mark a notification failed"));
  });
  ctx.logger.info({ target: mailer.target }, "mail worker started");
  return {
    worker,
    mailer,
    async close(timeoutMs = ctx.config.SHUTDOWN_TIMEOUT_MS) {
      await closeWorker(worker, timeoutMs);
      connection.disconnect();
      mailer.close();
    },
  };
}
