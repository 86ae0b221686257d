/**
 * The billing relay: whatever was committed but never reached (or fell out
 * of) its queue gets queued again — stored Stripe events not yet processed,
 * notifications not yet sent — and checkouts abandoned long ago are closed
 * so their promotion uses come back. Adding a job whose id exists is a no-op;
 * a job that ran out of attempts is retried.
 */
import { sql } from "../../db/sql";
import type { Queue } from "bullmq";
import type { AppContext } from "../../context";
import { dispatchEmails } from "../../mail/notifications";
import type { ScheduledTask } from "../../lib/scheduled-task";
import { sweepStaleCheckouts } from "../checkouts";
import { enqueueStripeEvents } from "../webhook";

/** Rows younger than this are still in their normal path (ms). */
export const RELAY_AFTER_MS = 60_000;
/** Give up re-queuing an event after this many failed attempts (an operator must look; it stays unprocessed). */
export const MAX_EVENT_ATTEMPTS = 60;

/** Ids whose job is missing (add) or failed for good (retry). */
async function requeue(queue: Queue, ids: string[], add: (ids: string[]) => Promise<void>): Promise<number> {
  const missing: string[] = [];
  let n = 0;
  for (const id of ids) {
    const job = await queue.getJob(id);
    if (!job) missing.push(id);
    else if (await job.isFailed()) {
      await job.retry("failed");
      n++;
    }
  }
  await add(missing);
  return n + missing.length;
}

export async function relayBilling(ctx: AppContext, now: Date): Promise<{ events: number; emails: number; stale_checkouts: number }> {
  const before = new Date(now.getTime() - RELAY_AFTER_MS);
  const events: { id: string }[] = await sql(ctx.ds,
    `SELECT id FROM stripe_events WHERE processed_at IS NULL AND received_at < $1 AND attempts < $2 ORDER BY received_at LIMIT 500`,
    [before, MAX_EVENT_ATTEMPTS],
  );
  const mails: { id: string }[] = await sql(ctx.ds,
    `SELECT id FROM notifications WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT 500`,
    [before],
  );
  const e = await requeue(ctx.queues.stripeEvents, events.map((r) => r.id), (ids) => enqueueStripeEvents(ctx, ids));
  const m = await requeue(ctx.queues.mail, mails.map((r) => r.id), (ids) => dispatchEmails(ctx, ids));
  const stale = await sweepStaleCheckouts(ctx.ds.manager, now);
  return { events: e, emails: m, stale_checkouts: stale };
}

export function billingRelayTask(everyMs = 60_000): ScheduledTask {
  return { name: "billing-relay", everyMs, run: (ctx, now) => relayBilling(ctx, now) };
}
