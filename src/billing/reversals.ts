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
 *   fulfilment; for an invoice, once its period and upgrade grants are made)
 *   call it right after granting, so a refund or chargeback that beat the
 *   payment's own event takes effect then;
 * - the item is reversed in every credit type it granted, each in the user's
 *   own account of that type (an invoice may pay for a period of one type and
 *   an upgrade to a plan of another);
 * - an open chargeback freezes what is left of each of the item's lots (an
 *   `adjustment` into the `clawback` system account: frozen credits are out
 *   of the balance, so no hold can use them), recorded per lot in
 *   stripe_chargeback_lots, so a lot granted after it opened is frozen when
 *   granted; it pauses the account once, with
 *   `pause_reason = chargeback:<dispute id>`;
 * - a closed chargeback gives each lot's frozen credits back (a new lot of the
 *   item's category and that lot's expiry) and resumes the account if the
 *   pause was its own; when lost, the clawback below then takes them first;
 * - the credits to reclaim, per credit type, are the refunded + lost cents
 *   at the item's own price (that type's credits × cents ÷ amount paid,
 *   rounded down per type, so the sum never exceeds what was granted; all of
 *   them when everything was paid back), less what that type already gave
 *   back (purchase_reversal_types): a second partial refund takes only the
 *   difference, a replay nothing. They are taken from the item's lots of that
 *   type (a `clawback` transfer); what was already spent becomes a debt in
 *   that type (src/credits/debts.ts).
 *
 * Each step that takes credits or records debts, freezes and pauses, or gives
 * back a won chargeback's credits queues one email, with a dedupe key derived
 * from the step (the chargeback, the lot frozen late, the credits reclaimed so
 * far), so a replayed webhook mails nothing twice.
 *
 * Locks: the caller holds the item's own lock first (the checkout row, or the
 * Stripe subscription's advisory lock that every grant takes too), then the
 * reversal and chargeback rows, then the ledger (accounts in credit-type
 * order, system, lots).
 */
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { debtState } from "../credits/debts";
import { sql } from "../db/sql";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import type { CreditsOfType } from "../mail/clawback-templates";
import { type MailBatch, queueUserEmail } from "../mail/notifications";

/** What a payment paid for: a purchase checkout, or a subscription invoice. */
export type PaidFor = { checkoutId: string; invoiceId?: undefined } | { invoiceId: string; checkoutId?: undefined };

/** The reversal tables' column naming the item (a closed set: safe to put into SQL). */
export function itemColumn(p: PaidFor): { column: "checkout_id" | "stripe_invoice_id"; value: string } {
  return p.checkoutId !== undefined ? { column: "checkout_id", value: p.checkoutId } : { column: "stripe_invoice_id", value: p.invoiceId };
}

export type ChargebackStatus = "open" | "won" | "lost";

/** A lot the payment granted. */
interface ItemLot {
  id: string;
  creditType: string;
  /** Its expiry, for the lot that gives its frozen credits back. */
  expiresAt: Date | null;
}

/** What the payment granted in one credit type: reversed in that type's own account. */
interface Part {
  creditType: string;
  credits: number;
  /** Taken from in this order. */
  lots: ItemLot[];
}

/** A granted item, as the algorithm needs it. */
interface Item {
  userId: string;
  /** One per credit type the payment granted, ordered by credit type (the order its accounts are locked in). */
  parts: Part[];
  /** What was paid for all of them, in cents. */
  paidCents: number;
  /** For a lot that gives frozen credits back. */
  category: "purchase" | "subscription";
  /** For descriptions and emails: "your purchase of 100 credits". */
  label: string;
  metadata: Record<string, string>;
}

interface ChargebackRow {
  id: string;
  status: ChargebackStatus;
  frozen_at: Date | null;
  paused_account: boolean;
}

/** One of the item's lots as a chargeback froze it (stripe_chargeback_lots). */
interface FrozenLot {
  chargeback_id: string;
  lot_id: string;
  credit_type: string;
  frozen_credits: string;
  restored_lot_id: string | null;
}

interface ReversalRow {
  id: string;
  refunded_cents: string;
  lost_cents: string;
  paid_cents: string | null;
}

/** Credits to reclaim for `cents` of a payment of `totalCents` for `credits`: its own price, rounded down; all when all was paid back. */
export function creditsFor(cents: number, credits: number, totalCents: number): number {
  if (totalCents <= 0 || cents <= 0) return 0;
  if (cents >= totalCents) return credits;
  return Number((BigInt(credits) * BigInt(cents)) / BigInt(totalCents));
}

/** The default credit type first, then by name: the order accounts are locked in, and credits are listed in emails. */
const byType = (a: { creditType: string }, b: { creditType: string }) => {
  const key = (t: string) => (t === ledger.DEFAULT_CREDIT_TYPE ? "" : t);
  return key(a.creditType) < key(b.creditType) ? -1 : key(a.creditType) > key(b.creditType) ? 1 : 0;
};

function addTo(list: CreditsOfType[], creditType: string, credits: number): void {
  const found = list.find((c) => c.creditType === creditType);
  if (found) found.credits += credits;
  else list.push({ creditType, credits });
}

const sum = (list: { credits: number }[]) => list.reduce((s, c) => s + c.credits, 0);

async function purchaseItem(m: EntityManager, checkoutId: string): Promise<Item | null> {
  const [c] = await sql<{ user_id: string; credit_type: string; credits: string; total_cents: number | null; status: string; grant_transfer_id: string | null }>(m,
    `SELECT user_id, credit_type, credits, total_cents, status, grant_transfer_id FROM checkouts WHERE id = $1`,
    [checkoutId],
  );
  const lot = c?.grant_transfer_id ? (await ledger.lotsOfGrants(m, [c.grant_transfer_id]))[0] : undefined;
  if (!c || c.status !== "complete" || !lot) return null;
  const credits = ledger.toInt(c.credits);
  return {
    userId: c.user_id, parts: [{ creditType: c.credit_type, credits, lots: [{ id: lot.id, creditType: c.credit_type, expiresAt: lot.expiresAt }] }],
    paidCents: c.total_cents ?? 0, category: "purchase", label: `your purchase of ${credits} credits`, metadata: { checkout_id: checkoutId },
  };
}

/**
 * A subscription invoice's grants (a period, an upgrade's proration, or both),
 * one part per credit type: a plan change across credit types (an upgrade to
 * a plan of another type billed on the renewal of the old one) pays for two.
 */
async function invoiceItem(m: EntityManager, invoiceId: string, paidCents: number): Promise<Item | null> {
  const grants = await sql<{ transfer_id: string; kind: string; credits: string; credit_type: string; name: string; user_id: string; subscription_id: string }>(m,
    `SELECT g.transfer_id, g.kind, g.credits::text, p.credit_type, p.name, s.user_id, g.subscription_id
       FROM subscription_grants g JOIN packages p ON p.id = g.package_id JOIN subscriptions s ON s.id = g.subscription_id
      WHERE g.stripe_invoice_id = $1 ORDER BY g.created_at, g.transfer_id`,
    [invoiceId],
  );
  const first = grants[0];
  if (!first) return null;
  const lots = new Map((await ledger.lotsOfGrants(m, grants.map((g) => g.transfer_id))).map((l) => [l.grantTransferId, l]));
  const granted = grants.filter((g) => lots.has(g.transfer_id));
  if (granted.length === 0) return null;
  const parts = new Map<string, Part>();
  for (const g of granted) {
    const part = parts.get(g.credit_type) ?? { creditType: g.credit_type, credits: 0, lots: [] };
    parts.set(g.credit_type, part);
    part.credits += ledger.toInt(g.credits);
    const lot = lots.get(g.transfer_id)!;
    part.lots.push({ id: lot.id, creditType: g.credit_type, expiresAt: lot.expiresAt });
  }
  const kinds = new Set(granted.map((g) => g.kind));
  // An invoice is named by the plan whose period it opened (a renewal also billing an upgrade's proration), else its upgrade's.
  const plan = (granted.find((g) => g.kind === "period") ?? granted[granted.length - 1]!).name;
  return {
    userId: first.user_id, parts: [...parts.values()].sort(byType), paidCents, category: "subscription",
    label: kinds.size > 1 ? `your ${plan} plan invoice` : kinds.has("upgrade") ? `your upgrade to the ${plan} plan` : `your ${plan} plan payment`,
    metadata: { stripe_invoice_id: invoiceId, subscription_id: first.subscription_id },
  };
}

/**
 * Bring the ledger in line with what Stripe reported for this item (the
 * caller's transaction, the item's own lock held). Safe to run any number of times.
 */
export async function applyReversal(ctx: AppContext, m: EntityManager, p: PaidFor, mail: MailBatch): Promise<string> {
  const { column, value: key } = itemColumn(p);
  const [rev] = await sql<ReversalRow>(m,
    `SELECT id, refunded_cents, lost_cents, paid_cents FROM purchase_reversals WHERE ${column} = $1 FOR UPDATE`,
    [key],
  );
  if (!rev) return "nothing_reported";
  const item = p.checkoutId !== undefined ? await purchaseItem(m, p.checkoutId) : await invoiceItem(m, p.invoiceId, ledger.toInt(rev.paid_cents ?? 0));
  // Not granted yet: recorded; the grant applies it right after granting.
  if (!item) return p.checkoutId !== undefined ? "recorded_awaiting_purchase" : "recorded_awaiting_grant";
  const accounts = new Map<string, string>();
  for (const part of item.parts) accounts.set(part.creditType, await ledger.userAccountId(m, item.userId, part.creditType));
  const step: Step = { ctx, m, item, accounts, mail, publicUrl: ctx.config.PUBLIC_URL ?? null };
  const out: string[] = [];

  const chargebacks = await sql<ChargebackRow>(m,
    `SELECT id, status, frozen_at, paused_account FROM stripe_chargebacks WHERE ${column} = $1 ORDER BY created_at, id FOR UPDATE`,
    [key],
  );
  const frozenLots = chargebacks.length === 0 ? [] : await sql<FrozenLot>(m,
    `SELECT chargeback_id, lot_id, credit_type, frozen_credits, restored_lot_id FROM stripe_chargeback_lots
      WHERE chargeback_id = ANY ($1) ORDER BY created_at, lot_id`,
    [chargebacks.map((cb) => cb.id)],
  );
  // Per credit type: lots that frozen credits came back into (a lost chargeback's clawback takes them first).
  const restored = new Map<string, string[]>();
  for (const cb of chargebacks) {
    const own = frozenLots.filter((f) => f.chargeback_id === cb.id);
    out.push(...(cb.status === "open" ? await freeze(step, cb, own) : await release(step, cb, own, restored)));
  }
  out.push(...await reclaim(step, p, rev, restored));
  return out.length > 0 ? out.join(";") : "no_change";
}

interface Step {
  ctx: AppContext;
  m: EntityManager;
  item: Item;
  /** The user's account per credit type of the item. */
  accounts: Map<string, string>;
  mail: MailBatch;
  publicUrl: string | null;
}

/**
 * An open chargeback freezes what is left of each of the item's lots that it
 * has not frozen yet — all of them the first time, then any lot the payment
 * granted later (an invoice's second grant) — and pauses the account once.
 */
async function freeze({ ctx, m, item, accounts, mail, publicUrl }: Step, cb: ChargebackRow, own: FrozenLot[]): Promise<string[]> {
  const seen = new Set(own.map((f) => f.lot_id));
  const fresh = item.parts.flatMap((part) => part.lots.filter((l) => !seen.has(l.id)).map((lot) => ({ part, lot })));
  if (fresh.length === 0 && cb.frozen_at) return [];
  const frozen: CreditsOfType[] = [];
  for (const { part, lot } of fresh) {
    const { taken } = await ledger.takeLots(m, {
      id: derivedId(cb.id, `freeze:${lot.id}`), accountId: accounts.get(part.creditType)!, lotIds: [lot.id], max: part.credits, type: "adjustment",
      description: `Frozen while chargeback ${cb.id} on ${item.label} is open`, metadata: { stripe_dispute_id: cb.id, ...item.metadata, frozen: true },
    });
    await sql(m, `INSERT INTO stripe_chargeback_lots (chargeback_id, lot_id, credit_type, frozen_credits) VALUES ($1, $2, $3, $4)`,
      [cb.id, lot.id, part.creditType, taken]);
    if (taken > 0) addTo(frozen, part.creditType, taken);
  }
  const total = sum(frozen);
  let paused = false;
  if (!cb.frozen_at) {
    paused = (await sql(m,
      `UPDATE users SET credit_status = 'paused', pause_reason = $2, updated_at = now() WHERE id = $1 AND credit_status = 'active' RETURNING id`,
      [item.userId, `chargeback:${cb.id}`],
    )).length > 0;
    await sql(m, `UPDATE stripe_chargebacks SET frozen_at = now(), frozen_credits = frozen_credits + $2, paused_account = $3 WHERE id = $1`, [cb.id, total, paused]);
    // Cached keys show the status a little longer (AUTH_CACHE_TTL_MS at most); admission and holds re-check it in the database.
    ctx.authCache.clear();
  } else if (total > 0) {
    await sql(m, `UPDATE stripe_chargebacks SET frozen_credits = frozen_credits + $2 WHERE id = $1`, [cb.id, total]);
  }
  if (total > 0 || paused) {
    // The first freeze mails as `chargeback_frozen:<dispute>`; a lot granted later, as that lot's own step.
    const dedupe = cb.frozen_at ? `chargeback_frozen:${cb.id}:${fresh[0]!.lot.id}` : `chargeback_frozen:${cb.id}`;
    mail.add(await queueUserEmail(m, publicUrl, item.userId, dedupe, {
      kind: "chargeback_frozen", item: item.label, frozen: frozen.sort(byType), paused, more: cb.frozen_at !== null, disputeId: cb.id,
    }));
  }
  return [`frozen=${total}${paused ? ";paused" : ""}`];
}

/**
 * A closed chargeback gives each frozen lot's credits back (a new lot of the
 * item's category with that lot's expiry) and resumes the account if the
 * pause was its own; a won one tells the user.
 */
async function release({ ctx, m, item, mail, publicUrl }: Step, cb: ChargebackRow, own: FrozenLot[], restored: Map<string, string[]>): Promise<string[]> {
  const out: string[] = [];
  const back: CreditsOfType[] = [];
  const lots = new Map(item.parts.flatMap((part) => part.lots.map((l) => [l.id, l] as const)));
  // In credit-type order, like every other step (the accounts' lock order).
  for (const f of [...own].sort((a, b) => byType({ creditType: a.credit_type }, { creditType: b.credit_type }))) {
    const credits = ledger.toInt(f.frozen_credits);
    if (credits > 0 && !f.restored_lot_id) {
      const g = await ledger.grant(m, {
        id: derivedId(cb.id, `unfreeze:${f.lot_id}`), userId: item.userId, amount: credits, creditType: f.credit_type, type: "adjustment", source: "clawback",
        category: item.category, expiresAt: lots.get(f.lot_id)?.expiresAt ?? null,
        description: `Unfrozen: chargeback ${cb.id} ${cb.status === "won" ? "was won" : "was lost"}`,
        metadata: { stripe_dispute_id: cb.id, ...item.metadata },
      });
      await sql(m, `UPDATE stripe_chargeback_lots SET restored_lot_id = $3 WHERE chargeback_id = $1 AND lot_id = $2`, [cb.id, f.lot_id, g.lotId]);
      f.restored_lot_id = g.lotId;
      addTo(back, f.credit_type, credits);
    }
    // Chargebacks frozen before per-lot rows share one restored lot: listed once.
    const list = restored.get(f.credit_type) ?? [];
    if (f.restored_lot_id && !list.includes(f.restored_lot_id)) restored.set(f.credit_type, [...list, f.restored_lot_id]);
  }
  if (back.length > 0) out.push(`unfrozen=${sum(back)}`);
  let resumed = false;
  if (cb.paused_account) {
    // Only this chargeback's own pause is lifted: an admin's pause (or a later one) stays.
    resumed = (await sql(m,
      `UPDATE users SET credit_status = 'active', pause_reason = NULL, updated_at = now() WHERE id = $1 AND credit_status = 'paused' AND pause_reason = $2 RETURNING id`,
      [item.userId, `chargeback:${cb.id}`],
    )).length > 0;
    await sql(m, `UPDATE stripe_chargebacks SET paused_account = false WHERE id = $1`, [cb.id]);
    if (resumed) {
      ctx.authCache.clear();
      out.push("resumed");
    }
  }
  // Won: the user was told credits were frozen (or the account paused); this step undoes it, once.
  if (cb.status === "won" && (back.length > 0 || cb.paused_account)) {
    mail.add(await queueUserEmail(m, publicUrl, item.userId, `chargeback_won:${cb.id}`, {
      kind: "chargeback_won", item: item.label, returned: back.sort(byType), resumed, disputeId: cb.id,
    }));
  }
  return out;
}

/**
 * Take back the refunded + lost share of each credit type the item granted:
 * per type, credits × (refunded + lost cents) ÷ paid cents, rounded down
 * (all of them once everything was paid back), less what that type already
 * gave back. Each type is rounded down on its own, so the total never exceeds
 * what was granted. From the type's restored lots first, then the item's own
 * lots; what was spent becomes a debt in that type. One email per step.
 */
async function reclaim({ ctx, m, item, accounts, mail, publicUrl }: Step, p: PaidFor, rev: ReversalRow, restored: Map<string, string[]>): Promise<string[]> {
  const { value: key } = itemColumn(p);
  const cents = ledger.toInt(rev.refunded_cents) + ledger.toInt(rev.lost_cents);
  const reason = ledger.toInt(rev.lost_cents) > 0 ? "chargeback" : "refund";
  const done = new Map((await sql<{ credit_type: string; reclaimed_credits: string }>(m,
    `SELECT credit_type, reclaimed_credits FROM purchase_reversal_types WHERE reversal_id = $1`, [rev.id],
  )).map((r) => [r.credit_type, ledger.toInt(r.reclaimed_credits)]));
  const parts: { creditType: string; takenBack: number; owed: number }[] = [];
  let reclaimed = 0;
  for (const part of item.parts) {
    const target = Math.min(part.credits, creditsFor(cents, part.credits, item.paidCents));
    const delta = target - (done.get(part.creditType) ?? 0);
    if (delta <= 0) continue;
    const { taken } = await ledger.takeLots(m, {
      id: derivedId(key, `clawback:${part.creditType}:${target}`), accountId: accounts.get(part.creditType)!,
      lotIds: [...(restored.get(part.creditType) ?? []), ...part.lots.map((l) => l.id)], max: delta, type: "clawback",
      description: `Taken back: ${reason === "refund" ? "Stripe refund" : "lost chargeback"} of ${item.label} (${delta} of ${part.credits} credits)`,
      metadata: { ...item.metadata, reason, target },
    });
    const debt = delta - taken;
    if (debt > 0) {
      await sql(m,
        `INSERT INTO credit_debts (user_id, credit_type, checkout_id, stripe_invoice_id, reason, amount) VALUES ($1, $2, $3, $4, $5, $6)`,
        [item.userId, part.creditType, p.checkoutId ?? null, p.invoiceId ?? null, reason, debt],
      );
      ctx.logger.warn({ userId: item.userId, item: key, creditType: part.creditType, debt }, "clawback could not take spent credits: debt recorded");
    }
    await sql(m,
      `INSERT INTO purchase_reversal_types (reversal_id, credit_type, reclaimed_credits) VALUES ($1, $2, $3)
       ON CONFLICT (reversal_id, credit_type) DO UPDATE SET reclaimed_credits = EXCLUDED.reclaimed_credits`,
      [rev.id, part.creditType, target],
    );
    parts.push({ creditType: part.creditType, takenBack: taken, owed: debt });
    reclaimed += delta;
  }
  if (parts.length === 0) return [];
  const [r] = await sql<{ reclaimed_credits: string }>(m,
    `UPDATE purchase_reversals SET reclaimed_credits = reclaimed_credits + $2, updated_at = now() WHERE id = $1 RETURNING reclaimed_credits`,
    [rev.id, reclaimed],
  );
  const owed = parts.reduce((s, x) => s + x.owed, 0);
  // The step's key is what the item has reclaimed so far over all types: it only grows, one value per step.
  mail.add(await queueUserEmail(m, publicUrl, item.userId, `clawback:${key}:${ledger.toInt(r!.reclaimed_credits)}`, {
    kind: "credits_clawed_back", reason, item: item.label, parts, totalOwed: owed > 0 ? (await debtState(m, item.userId)).debt : 0,
  }));
  return [`clawed_back=${parts.reduce((s, x) => s + x.takenBack, 0)}`, `debt=${owed}`];
}
