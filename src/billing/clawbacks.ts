/**
 * Stripe refunds and chargebacks of credit purchases take the credits back.
 *
 * The events are hints (re-read from Stripe: the charge's cumulative
 * `amount_refunded`, the dispute's current status), recorded per purchase in
 * purchase_reversals / stripe_chargebacks, and then one function,
 * applyReversal, brings the ledger in line with that record. It is
 * state-based and idempotent, so order and replays do not matter:
 *
 * - it does nothing until the purchase was granted; fulfilment calls it
 *   right after the grant, so a refund or chargeback that beat
 *   `checkout.session.completed` takes effect then;
 * - an open chargeback freezes what is left of the purchase's lot once (an
 *   `adjustment` into the `clawback` system account: frozen credits are out
 *   of the balance, so no hold can use them) and pauses the account with
 *   `pause_reason = chargeback:<dispute id>`;
 * - a closed chargeback gives the frozen credits back (a new `purchase`
 *   lot) and resumes the account if the pause was its own; when lost, the
 *   clawback below then takes them first;
 * - the credits to reclaim are the refunded + lost cents at the purchase's
 *   own price (credits × cents ÷ total paid, rounded down; all of them when
 *   everything was refunded), less what was already reclaimed: a second
 *   partial refund takes only the difference, a replay nothing. They are
 *   taken from the purchase's lots (a `clawback` transfer); what was already
 *   spent becomes a debt (src/credits/debts.ts).
 *
 * Locks: the checkout row first (fulfilment holds it too), then the
 * reversal and chargeback rows, then the ledger (account, system, lots).
 */
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import type { HandlerContext } from "./webhook-handlers";
import { refId, type Stripe } from "./stripe-client";

/** Stripe dispute statuses that end it in the merchant's favour (an inquiry closed without a chargeback counts as won). */
const WON = new Set(["won", "warning_closed", "prevented"]);

type ChargebackStatus = "open" | "won" | "lost";

function chargebackStatus(s: string): ChargebackStatus {
  if (s === "lost") return "lost";
  return WON.has(s) ? "won" : "open";
}

/** The credit purchase (checkout id) a charge paid for, from its PaymentIntent's metadata (set at checkout). */
async function purchaseOfCharge(h: HandlerContext, charge: Stripe.Charge): Promise<string | null> {
  let checkoutId = charge.metadata?.checkout_id ?? null;
  const pi = refId(charge.payment_intent);
  if (!checkoutId && pi) checkoutId = (await h.stripe.paymentIntents.retrieve(pi)).metadata?.checkout_id ?? null;
  if (!checkoutId) return null;
  const rows = await sql(h.m, `SELECT id FROM checkouts WHERE id = $1 AND mode = 'payment'`, [checkoutId]);
  return rows.length > 0 ? checkoutId : null;
}

async function ensureReversal(m: EntityManager, checkoutId: string, chargeId: string): Promise<void> {
  await sql(m,
    `INSERT INTO purchase_reversals (checkout_id, user_id, stripe_charge_id) SELECT id, user_id, $2 FROM checkouts WHERE id = $1
     ON CONFLICT (checkout_id) DO UPDATE SET stripe_charge_id = coalesce(purchase_reversals.stripe_charge_id, EXCLUDED.stripe_charge_id)`,
    [checkoutId, chargeId],
  );
}

/** charge.refunded: record the cumulative refunded cents (never lower than seen before), then apply. */
export async function chargeRefunded(h: HandlerContext, event: Stripe.Charge): Promise<string> {
  // Stripe calls first: no Stripe call while a ledger lock is held.
  const charge = await h.stripe.charges.retrieve(event.id);
  const checkoutId = await purchaseOfCharge(h, charge);
  if (!checkoutId) return "not_a_credit_purchase";
  await lockCheckout(h.m, checkoutId);
  await ensureReversal(h.m, checkoutId, charge.id);
  await sql(h.m,
    `UPDATE purchase_reversals SET refunded_cents = GREATEST(refunded_cents, $2), updated_at = now() WHERE checkout_id = $1`,
    [checkoutId, charge.amount_refunded],
  );
  return `refunded_cents=${charge.amount_refunded};${await applyReversal(h.ctx, h.m, checkoutId)}`;
}

/** charge.dispute.created / .closed (and any dispute event): record the dispute's current status, then apply. */
export async function chargeDisputed(h: HandlerContext, event: Stripe.Dispute): Promise<string> {
  const dispute = await h.stripe.disputes.retrieve(event.id);
  const chargeId = refId(dispute.charge);
  if (!chargeId) return "no_charge";
  const charge = await h.stripe.charges.retrieve(chargeId);
  const checkoutId = await purchaseOfCharge(h, charge);
  if (!checkoutId) return "not_a_credit_purchase";
  const status = chargebackStatus(dispute.status);
  await lockCheckout(h.m, checkoutId);
  await ensureReversal(h.m, checkoutId, charge.id);
  await sql(h.m,
    `INSERT INTO stripe_chargebacks (id, checkout_id, user_id, status, amount_cents) SELECT $1, id, user_id, 'open', $3 FROM checkouts WHERE id = $2
     ON CONFLICT (id) DO NOTHING`,
    [dispute.id, checkoutId, dispute.amount],
  );
  // Closing happens once: a later (or replayed, or older) event for a closed dispute changes nothing.
  const closed = await sql<{ id: string }>(h.m,
    `UPDATE stripe_chargebacks SET status = $2, closed_at = now(), amount_cents = $3 WHERE id = $1 AND status = 'open' AND $2 <> 'open' RETURNING id`,
    [dispute.id, status, dispute.amount],
  );
  if (closed.length > 0 && status === "lost") {
    await sql(h.m, `UPDATE purchase_reversals SET lost_cents = lost_cents + $2, updated_at = now() WHERE checkout_id = $1`, [checkoutId, dispute.amount]);
  }
  return `dispute=${dispute.id}:${status};${await applyReversal(h.ctx, h.m, checkoutId)}`;
}

async function lockCheckout(m: EntityManager, checkoutId: string): Promise<void> {
  await sql(m, `SELECT id FROM checkouts WHERE id = $1 FOR UPDATE`, [checkoutId]);
}

interface PurchaseRow {
  user_id: string;
  credit_type: string;
  credits: string;
  total_cents: number | null;
  status: string;
  grant_transfer_id: string | null;
}

interface ChargebackRow {
  id: string;
  status: ChargebackStatus;
  frozen_at: Date | null;
  frozen_credits: string;
  restored_lot_id: string | null;
  paused_account: boolean;
}

/** Credits to reclaim for `cents` of a purchase of `credits` for `totalCents`: its own price, rounded down; all when all was paid back. */
export function creditsFor(cents: number, credits: number, totalCents: number): number {
  if (totalCents <= 0 || cents <= 0) return 0;
  if (cents >= totalCents) return credits;
  return Number((BigInt(credits) * BigInt(cents)) / BigInt(totalCents));
}

/**
 * Bring the ledger in line with what Stripe reported for this purchase (the
 * caller's transaction, checkout row locked). Safe to run any number of times.
 */
export async function applyReversal(ctx: AppContext, m: EntityManager, checkoutId: string): Promise<string> {
  const [rev] = await sql<{ refunded_cents: string; lost_cents: string; reclaimed_credits: string }>(m,
    `SELECT refunded_cents, lost_cents, reclaimed_credits FROM purchase_reversals WHERE checkout_id = $1 FOR UPDATE`,
    [checkoutId],
  );
  if (!rev) return "nothing_reported";
  const [c] = await sql<PurchaseRow>(m,
    `SELECT user_id, credit_type, credits, total_cents, status, grant_transfer_id FROM checkouts WHERE id = $1`,
    [checkoutId],
  );
  const lotId = c?.grant_transfer_id ? await ledger.lotOfGrant(m, c.grant_transfer_id) : null;
  // Not granted yet: recorded; fulfilment applies it right after the grant.
  if (!c || c.status !== "complete" || !lotId) return "recorded_awaiting_purchase";
  const accountId = await ledger.userAccountId(m, c.user_id, c.credit_type);
  const credits = ledger.toInt(c.credits);
  const out: string[] = [];

  const chargebacks = await sql<ChargebackRow>(m,
    `SELECT id, status, frozen_at, frozen_credits, restored_lot_id, paused_account FROM stripe_chargebacks
      WHERE checkout_id = $1 ORDER BY created_at, id FOR UPDATE`,
    [checkoutId],
  );
  const restoredLots: string[] = [];
  for (const cb of chargebacks) {
    if (cb.status === "open" && !cb.frozen_at) {
      const frozen = await ledger.takeLots(m, {
        id: derivedId(cb.id, "freeze"), accountId, lotIds: [lotId], max: credits, type: "adjustment",
        description: `Frozen while chargeback ${cb.id} on your purchase is open`, metadata: { stripe_dispute_id: cb.id, checkout_id: checkoutId, frozen: true },
      });
      const paused = await sql(m,
        `UPDATE users SET credit_status = 'paused', pause_reason = $2, updated_at = now() WHERE id = $1 AND credit_status = 'active' RETURNING id`,
        [c.user_id, `chargeback:${cb.id}`],
      );
      await sql(m, `UPDATE stripe_chargebacks SET frozen_at = now(), frozen_credits = $2, paused_account = $3 WHERE id = $1`, [cb.id, frozen.taken, paused.length > 0]);
      // Cached keys show the status a little longer (AUTH_CACHE_TTL_MS at most); admission and holds re-check it in the database.
      ctx.authCache.clear();
      out.push(`frozen=${frozen.taken}${paused.length > 0 ? ";paused" : ""}`);
      continue;
    }
    if (cb.status === "open") continue;
    const frozenCredits = ledger.toInt(cb.frozen_credits);
    if (frozenCredits > 0 && !cb.restored_lot_id) {
      const g = await ledger.grant(m, {
        id: derivedId(cb.id, "unfreeze"), userId: c.user_id, amount: frozenCredits, creditType: c.credit_type, type: "adjustment", source: "clawback",
        category: "purchase", expiresAt: null,
        description: `Unfrozen: chargeback ${cb.id} ${cb.status === "won" ? "was won" : "was lost"}`,
        metadata: { stripe_dispute_id: cb.id, checkout_id: checkoutId },
      });
      await sql(m, `UPDATE stripe_chargebacks SET restored_lot_id = $2 WHERE id = $1`, [cb.id, g.lotId]);
      cb.restored_lot_id = g.lotId;
      out.push(`unfrozen=${frozenCredits}`);
    }
    if (cb.restored_lot_id) restoredLots.push(cb.restored_lot_id);
    if (cb.paused_account) {
      // Only this chargeback's own pause is lifted: an admin's pause (or a later one) stays.
      const resumed = await sql(m,
        `UPDATE users SET credit_status = 'active', pause_reason = NULL, updated_at = now() WHERE id = $1 AND credit_status = 'paused' AND pause_reason = $2 RETURNING id`,
        [c.user_id, `chargeback:${cb.id}`],
      );
      await sql(m, `UPDATE stripe_chargebacks SET paused_account = false WHERE id = $1`, [cb.id]);
      if (resumed.length > 0) {
        ctx.authCache.clear();
        out.push("resumed");
      }
    }
  }

  const target = Math.min(credits, creditsFor(ledger.toInt(rev.refunded_cents) + ledger.toInt(rev.lost_cents), credits, c.total_cents ?? 0));
  const reclaimed = ledger.toInt(rev.reclaimed_credits);
  const delta = target - reclaimed;
  if (delta > 0) {
    const reason = ledger.toInt(rev.lost_cents) > 0 ? "chargeback" : "refund";
    // Frozen credits given back by a lost chargeback first, then the purchase's own lot.
    const { taken } = await ledger.takeLots(m, {
      id: derivedId(checkoutId, `clawback:${target}`), accountId, lotIds: [...restoredLots, lotId], max: delta, type: "clawback",
      description: `Taken back: ${reason === "refund" ? "Stripe refund" : "lost chargeback"} of your purchase (${delta} of ${credits} credits)`,
      metadata: { checkout_id: checkoutId, reason, target },
    });
    const debt = delta - taken;
    if (debt > 0) {
      await sql(m,
        `INSERT INTO credit_debts (user_id, credit_type, checkout_id, reason, amount) VALUES ($1, $2, $3, $4, $5)`,
        [c.user_id, c.credit_type, checkoutId, reason, debt],
      );
      ctx.logger.warn({ userId: c.user_id, checkout: checkoutId, debt }, "clawback could not take spent credits: debt recorded");
    }
    await sql(m, `UPDATE purchase_reversals SET reclaimed_credits = $2, updated_at = now() WHERE checkout_id = $1`, [checkoutId, target]);
    out.push(`clawed_back=${taken}`, `debt=${debt}`);
  }
  return out.length > 0 ? out.join(";") : "no_change";
}
