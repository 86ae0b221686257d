/**
 * Receiving Stripe webhooks: verify the signature on the exact raw bytes,
 * store the event (its id is the primary key: a replay stores nothing new),
 * queue it, answer. Nothing else happens in the request, so the endpoint
 * answers in milliseconds and a slow or failing step downstream never makes
 * Stripe give up on an event — the stripe-events worker retries it, and the
 * relay task re-queues any stored event that was never processed.
 */
import { sql } from "../db/sql";
import Stripe from "stripe";
import type { AppContext } from "../context";
import { addById } from "../queues";
import { InvalidRequest, NotConfigured } from "../errors";
import { fromUnix } from "./stripe-client";

/** Attempts per event in the stripe-events queue (exponential from 2 s: the last is ~35 min after the first). */
export const EVENT_ATTEMPTS = 12;
export const EVENT_BACKOFF_MS = 2_000;
/** Largest age of a signature we accept, in seconds (Stripe's default tolerance). */
export const SIGNATURE_TOLERANCE_S = 300;

export interface Received {
  id: string;
  type: string;
  /** The event id was already stored (a retry or replay from Stripe). */
  duplicate: boolean;
}

export async function receiveStripeEvent(ctx: AppContext, raw: unknown, signature: string | undefined): Promise<Received> {
  const secret = ctx.config.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new NotConfigured("Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET is not set).", "STRIPE_WEBHOOK_SECRET");
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    throw new InvalidRequest("Send the raw JSON body Stripe signed, with Content-Type: application/json.", { issues: [{ path: "", message: "no raw JSON body" }] });
  }
  if (!signature) throw new InvalidRequest("The Stripe-Signature header is missing.", { issues: [{ path: "Stripe-Signature", message: "missing" }] });
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(raw, signature, secret, SIGNATURE_TOLERANCE_S);
  } catch (err) {
    throw new InvalidRequest("The Stripe signature does not match this body, or it is too old.", {
      issues: [{ path: "Stripe-Signature", message: (err as Error).message }],
    });
  }
  if (typeof event?.id !== "string" || typeof event.type !== "string") {
    throw new InvalidRequest("The body is not a Stripe event.", { issues: [{ path: "", message: "no id or type" }] });
  }

  const inserted: unknown[] = await sql(ctx.ds,
    `INSERT INTO stripe_events (id, type, livemode, payload, stripe_created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [event.id, event.type, event.livemode === true, raw.toString("utf8"), typeof event.created === "number" ? fromUnix(event.created) : null],
  );
  const duplicate = inserted.length === 0;
  if (duplicate) {
    const rows: { processed_at: Date | null }[] = await sql(ctx.ds, `SELECT processed_at FROM stripe_events WHERE id = $1`, [event.id]);
    if (rows[0]?.processed_at) return { id: event.id, type: event.type, duplicate };
  }
  await enqueueStripeEvents(ctx, [event.id]);
  return { id: event.id, type: event.type, duplicate };
}

/** Queue stored events for processing (job id = event id: adding twice is a no-op). Failure is logged; the relay retries. */
export async function enqueueStripeEvents(ctx: AppContext, ids: string[]): Promise<void> {
  await addById(ctx.queues.stripeEvents, ids.map((id) => ({ id, data: { eventId: id }, attempts: EVENT_ATTEMPTS })), {
    name: "process", backoffMs: EVENT_BACKOFF_MS, keepCompletedSeconds: 24 * 3600, logger: ctx.logger, what: "stripe-events",
  });
}
