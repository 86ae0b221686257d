/** The stripe-events worker: each stored Stripe event processed once (src/billing/stripe-events.ts), retried with backoff. */
import { type Job as BullJob, Worker } from "bullmq";
import { processStripeEvent } from "../billing/stripe-events";
import type { AppContext } from "../context";
import { createRedis, QUEUE } from "../queues";
import { closeWorker } from "./close";

export interface StripeEventJob {
  eventId: string;
}

export interface StripeEventWorker {
  worker: Worker<StripeEventJob>;
  close(timeoutMs?: number): Promise<void>;
}

/** Start processing the stripe-events queue (the worker role runs it). */
export function startStripeEventWorker(ctx: AppContext, opts: { concurrency?: number } = {}): StripeEventWorker {
  const connection = createRedis(ctx.config.REDIS_URL);
  const worker = new Worker<StripeEventJob>(QUEUE.stripeEvents, (job: BullJob<StripeEventJob>) => processStripeEvent(ctx, job.data.eventId), {
    connection,
    prefix: ctx.config.QUEUE_PREFIX,
    // Events for one subscription serialise on its advisory lock anyway.
    concurrency: opts.concurrency ?? 4,
  });
  worker.on("error", (err) => ctx.logger.error({ err }, "stripe-events worker error"));
  worker.on("failed", (job, err) =>
    ctx.logger.warn({ err, event: job?.data.eventId, attempt: job?.attemptsMade }, "processing a Stripe event failed; it will be retried"),
  );
  return {
    worker,
    async close(timeoutMs = ctx.config.SHUTDOWN_TIMEOUT_MS) {
      await closeWorker(worker, timeoutMs);
      connection.disconnect();
    },
  };
}
