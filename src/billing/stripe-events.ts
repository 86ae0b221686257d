/**
 * Processing stored Stripe events, each exactly once (the stripe-events
 * worker, src/workers/stripe-event-worker.ts, calls this per event id). The event row is locked FOR UPDATE, its effect applied and
 * processed_at set in ONE transaction: a crash before commit leaves the event
 * unprocessed (it is retried, and the effect was rolled back with it); a
 * second delivery of the job waits on the lock and then sees processed_at.
 * Emails the effect queued are dispatched after the commit.
 */
import { sql } from "../db/sql";
import type Stripe from "stripe";
import type { AppContext } from "../context";
import { dispatchEmails, MailBatch } from "../mail/notifications";
import { requireStripe } from "./stripe-client";
import { handleStripeEvent } from "./webhook-handlers";

export type ProcessOutcome = { status: "processed"; outcome: string } | { status: "already_processed" } | { status: "unknown_event" };

export async function processStripeEvent(ctx: AppContext, eventId: string): Promise<ProcessOutcome> {
  const mail = new MailBatch();
  let result: ProcessOutcome;
  try {
    result = await ctx.ds.transaction(async (m) => {
      const rows: { payload: Stripe.Event; processed_at: Date | null }[] = await sql(m,
        `SELECT payload, processed_at FROM stripe_events WHERE id = $1 FOR UPDATE`,
        [eventId],
      );
      const row = rows[0];
      if (!row) return { status: "unknown_event" as const };
      if (row.processed_at) return { status: "already_processed" as const };
      const outcome = await handleStripeEvent({ ctx, m, stripe: requireStripe(ctx), mail }, row.payload);
      await sql(m,
        `UPDATE stripe_events SET processed_at = now(), outcome = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1`,
        [eventId, outcome.slice(0, 500)],
      );
      return { status: "processed" as const, outcome };
    });
  } catch (err) {
    await sql(ctx.ds, `UPDATE stripe_events SET attempts = attempts + 1, last_error = $2 WHERE id = $1 AND processed_at IS NULL`, [
      eventId, String((err as Error)?.message ?? err).slice(0, 1000),
    ]).catch(() => undefined);
    throw err;
  }
  await dispatchEmails(ctx, mail.ids);
  if (result.status === "processed") ctx.logger.info({ event: eventId, outcome: result.outcome }, "stripe event processed");
  return result;
}
