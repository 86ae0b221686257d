/**
 * Bringing the ledger in line with what Stripe reported about a payment:
 * refunded cents, chargebacks open, won or lost. One algorithm for whatever
 * the payment paid for — a credit purchase (a checkout) or a subscription
 * invoice (the subscription_grants it paid for: a period, an upgrade, or
 * both when Stripe billed a proration on a renewal). The handlers that record
 * what Stripe says are in clawbacks.ts.
 *
 * applyReversal is state-based and idempotent, so order and replays do not matter:
 *
 * - it does nothing until the item was granted; the grant paths (purchase
 *   fulfilment, period and upgrade grants) call it right after granting, so
 *   a refund or chargeback that beat the payment's own event takes effect then;
 * - an open chargeback freezes what is left of the item's lots once (an
 *   `adjustment` into the `clawback` system account: frozen credits are out
 *   of the balance, so no hold can use them) and pauses the account with
 *   `pause_reason = chargeback:<dispute id>`;
 * - a closed chargeback gives the frozen credits back (a new lot of the
 *   item's category and expiry) and resumes the account if the pause was its
 *   own; when lost, the clawback below then takes them first;
 * - the credits to reclaim are the refunded + lost cents at the item's own
 *   price (credits × cents ÷ amount paid, rounded down; all of them when
 *   everything was paid back), less what was already reclaimed: a second
 *   partial refund takes only the difference, a replay nothing. They are
 *   taken from the item's lots (a `clawback` transfer); what was already
 *   spent becomes a debt (src/credits/debts.ts).
 *
 * Each step that takes credits, records a debt, or freezes and pauses queues
 * one email, with a dedupe key derived from the step (the chargeback, the
 * reclaimed target), so a replayed webhook mails nothing twice.
 *
 * Locks: the caller holds the item's own lock first (the checkout row, or the
 * Stripe subscription's advisory lock that every grant takes too), then the
 * reversal and chargeback rows, then the ledger (account, system, lots).
 */
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { debtState } from "../credits/debts";
import { sql } from "../db/sql";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import { type MailBatch, queueUserEmail } from "../mail/notifications";

/** What a payment paid for: a purchase checkout, or a subscription invoice. */
export type PaidFor = { checkoutId: string; invoiceId?: undefined } | { invoiceId: string; checkoutId?: undefined };

/** The reversal tables' column naming the item (a closed set: safe to put into SQL). */
export function itemColumn(p: PaidFor): { column: "checkout_id" | "stripe_invoice_id"; value: string } {
  return p.checkoutId !== undefined ? { column: "checkout_id", value: p.checkoutId } : { column: "stripe_invoice_id", value: p.invoiceId };
}

export type ChargebackStatus = "open" | "won" | "lost";

/** A granted item, as the algorithm needs it. */
interface Item {
  userId: string;
  creditType: string;
  /** All the credits the payment granted. */
  credits: number;
  /** What was paid for them, in cents. */
  paidCents: number;
  /** The lots the grant(s) created, taken from in this order. */
  lotIds: string[];
  /** For a lot that gives frozen credits back. */
  category: "purchase" | "subscription";
  expiresAt: Date | null;
  /** For descriptions and emails: "your purchase of 100 credits". */
  label: string;
  metadata: Record<string, string>;
  /** Grants of the invoice left out because they are of another credit type (see invoiceItem). */
  otherTypeGrants?: number;
}

interface ChargebackRow {
  id: string;
  status: ChargebackStatus;
  frozen_at: Date | null;
  frozen_credits: string;
  restored_lot_id: string | null;
  paused_account: boolean;
}

/** Credits to reclaim for `cents` of a payment of `totalCents` for `credits`: its own price, rounded down; all when all was paid back. */
export function creditsFor(cents: number, credits: number, totalCents: number): number {
  if (totalCents <= 0 || cents <= 0) return 0;
  if (cents >= totalCents) return credits;
  return Number((BigInt(credits) * BigInt(cents)) / BigInt(totalCents));
}

async function purchaseItem(m: EntityManager, checkoutId: string): Promise<Item | null> {
  const [c] = await sql<{ user_id: string; credit_type: string; credits: string; total_cents: number | null; status: string; grant_transfer_id: string | null }>(m,
    `SELECT user_id, credit_type, credits, total_cents, status, grant_transfer_id FROM checkouts WHERE id = $1`,
    [checkoutId],
  );
  const lotId = c?.grant_transfer_id ? await ledger.lotOfGrant(m, c.grant_transfer_id) : null;
  if (!c || c.status !== "complete" || !lotId) return null;
  const credits = ledger.toInt(c.credits);
  return {
    userId: c.user_id, creditType: c.credit_type, credits, paidCents: c.total_cents ?? 0, lotIds: [lotId], category: "purchase", expiresAt: null,
    label: `your purchase of ${credits} credits`, metadata: { checkout_id: checkoutId },
  };
}

async function invoiceItem(m: EntityManager, invoiceId: string, paidCents: number): Promise<Item | null> {
  const grants = await sql<{ transfer_id: string; kind: string; credits: string; credit_type: string; name: string; user_id: string; subscription_id: string }>(m,
    `SELECT g.transfer_id, g.kind, g.credits::text, p.credit_type, p.name, s.user_id, g.subscription_id
       FROM subscription_grants g JOIN packages p ON p.id = g.package_id JOIN subscriptions s ON s.id = g.subscription_id
      WHERE g.stripe_invoice_id = $1 ORDER BY g.created_at, g.transfer_id`,
    [invoiceId],
  );
  const first = grants[0];
  if (!first) return null;
  // One account per reversal: an invoice whose grants were of two credit types (a plan change across
  // credit types, which no shipped plan does) is reversed in the first one only; applyReversal logs it.
  const same = grants.filter((g) => g.credit_type === first.credit_type);
  const lots = await ledger.lotsOfGrants(m, same.map((g) => g.transfer_id));
  if (lots.length === 0) return null;
  const granted = same.filter((g) => lots.some((l) => l.grantTransferId === g.transfer_id));
  const expiries = lots.map((l) => l.expiresAt);
  const last = expiries.includes(null) ? null : new Date(Math.max(...expiries.map((d) => d!.getTime())));
  const kinds = new Set(granted.map((g) => g.kind));
  const plan = granted[granted.length - 1]!.name;
  return {
    userId: first.user_id, creditType: first.credit_type, credits: granted.reduce((s, g) => s + ledger.toInt(g.credits), 0), paidCents,
    lotIds: lots.map((l) => l.id), category: "subscription", expiresAt: last,
    label: kinds.size > 1 ? `your ${plan} plan invoice` : kinds.has("upgrade") ? `your upgrade to the ${plan} plan` : `your ${plan} plan payment`,
    metadata: { stripe_invoice_id: invoiceId, subscription_id: first.subscription_id },
    otherTypeGrants: grants.length - same.length,
  };
}

/**
 * Bring the ledger in line with what Stripe reported for this item (the
 * caller's transaction, the item's own lock held). Safe to run any number of times.
 */
export async function applyReversal(ctx: AppContext, m: EntityManager, p: PaidFor, mail: MailBatch): Promise<string> {
  const { column, value: key } = itemColumn(p);
  const [rev] = await sql<{ refunded_cents: string; lost_cents: string; reclaimed_credits: string; paid_cents: string | null }>(m,
    `SELECT refunded_cents, lost_cents, reclaimed_credits, paid_cents FROM purchase_reversals WHERE ${column} = $1 FOR UPDATE`,
    [key],
  );
  if (!rev) return "nothing_reported";
  const item = p.checkoutId !== undefined ? await purchaseItem(m, p.checkoutId) : await invoiceItem(m, p.invoiceId, ledger.toInt(rev.paid_cents ?? 0));
  // Not granted yet: recorded; the grant applies it right after granting.
  if (!item) return p.checkoutId !== undefined ? "recorded_awaiting_purchase" : "recorded_awaiting_grant";
  if (item.otherTypeGrants) {
    ctx.logger.error({ invoice: p.invoiceId, creditType: item.creditType, left_out: item.otherTypeGrants },
      "invoice paid for grants of several credit types: only the first type's are reversed; an operator must adjust the rest");
  }
  const accountId = await ledger.userAccountId(m, item.userId, item.creditType);
  const publicUrl = ctx.config.PUBLIC_URL ?? null;
  const out: string[] = [];

  const chargebacks = await sql<ChargebackRow>(m,
    `SELECT id, status, frozen_at, frozen_credits, restored_lot_id, paused_account FROM stripe_chargebacks
      WHERE ${column} = $1 ORDER BY created_at, id FOR UPDATE`,
    [key],
  );
  const restoredLots: string[] = [];
  for (const cb of chargebacks) {
    if (cb.status === "open" && !cb.frozen_at) {
      const frozen = await ledger.takeLots(m, {
        id: derivedId(cb.id, "freeze"), accountId, lotIds: item.lotIds, max: item.credits, type: "adjustment",
        description: `Frozen while chargeback ${cb.id} on ${item.label} is open`, metadata: { stripe_dispute_id: cb.id, ...item.metadata, frozen: true },
      });
      const paused = await sql(m,
        `UPDATE users SET credit_status = 'paused', pause_reason = $2, updated_at = now() WHERE id = $1 AND credit_status = 'active' RETURNING id`,
        [item.userId, `chargeback:${cb.id}`],
      );
      await sql(m, `UPDATE stripe_chargebacks SET frozen_at = now(), frozen_credits = $2, paused_account = $3 WHERE id = $1`, [cb.id, frozen.taken, paused.length > 0]);
      // Cached keys show the status a little longer (AUTH_CACHE_TTL_MS at most); admission and holds re-check it in the database.
      ctx.authCache.clear();
      if (frozen.taken > 0 || paused.length > 0) {
        mail.add(await queueUserEmail(m, publicUrl, item.userId, `chargeback_frozen:${cb.id}`, {
          kind: "chargeback_frozen", item: item.label, creditType: item.creditType, frozen: frozen.taken, paused: paused.length > 0, disputeId: cb.id,
        }));
      }
      out.push(`frozen=${frozen.taken}${paused.length > 0 ? ";paused" : ""}`);
      continue;
    }
    if (cb.status === "open") continue;
    const frozenCredits = ledger.toInt(cb.frozen_credits);
    if (frozenCredits > 0 && !cb.restored_lot_id) {
      const g = await ledger.grant(m, {
        id: derivedId(cb.id, "unfreeze"), userId: item.userId, amount: frozenCredits, creditType: item.creditType, type: "adjustment", source: "clawback",
        category: item.category, expiresAt: item.expiresAt,
        description: `Unfrozen: chargeback ${cb.id} ${cb.status === "won" ? "was won" : "was lost"}`,
        metadata: { stripe_dispute_id: cb.id, ...item.metadata },
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
        [item.userId, `chargeback:${cb.id}`],
      );
      await sql(m, `UPDATE stripe_chargebacks SET paused_account = false WHERE id = $1`, [cb.id]);
      if (resumed.length > 0) {
        ctx.authCache.clear();
        out.push("resumed");
      }
    }
  }

  const target = Math.min(item.credits, creditsFor(ledger.toInt(rev.refunded_cents) + ledger.toInt(rev.lost_cents), item.credits, item.paidCents));
  const reclaimed = ledger.toInt(rev.reclaimed_credits);
  const delta = target - reclaimed;
  if (delta > 0) {
    const reason = ledger.toInt(rev.lost_cents) > 0 ? "chargeback" : "refund";
    // Frozen credits given back by a lost chargeback first, then the item's own lots.
    const { taken } = await ledger.takeLots(m, {
      id: derivedId(key, `clawback:${target}`), accountId, lotIds: [...restoredLots, ...item.lotIds], max: delta, type: "clawback",
      description: `Taken back: ${reason === "refund" ? "Stripe refund" : "lost chargeback"} of ${item.label} (${delta} of ${item.credits} credits)`,
      metadata: { ...item.metadata, reason, target },
    });
    const debt = delta - taken;
    if (debt > 0) {
      await sql(m,
        `INSERT INTO credit_debts (user_id, credit_type, checkout_id, stripe_invoice_id, reason, amount) VALUES ($1, $2, $3, $4, $5, $6)`,
        [item.userId, item.creditType, p.checkoutId ?? null, p.invoiceId ?? null, reason, debt],
      );
      ctx.logger.warn({ userId: item.userId, [column]: key, debt }, "clawback could not take spent credits: debt recorded");
    }
    await sql(m, `UPDATE purchase_reversals SET reclaimed_credits = $2, updated_at = now() WHERE ${column} = $1`, [key, target]);
    mail.add(await queueUserEmail(m, publicUrl, item.userId, `clawback:${key}:${target}`, {
      kind: "credits_clawed_back", reason, item: item.label, creditType: item.creditType, takenBack: taken, owed: debt,
      totalOwed: debt > 0 ? (await debtState(m, item.userId)).debt : 0,
    }));
    out.push(`clawed_back=${taken}`, `debt=${debt}`);
  }
  return out.length > 0 ? out.join(";") : "no_change";
}
