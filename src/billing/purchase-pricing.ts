/**
 * The price of a one-off credit purchase, in integer cents:
 *
 *   base        = credits × CENTS_PER_CREDIT
 *   − bulk      = base × the bulk tier's percent (largest tier reached)
 *   − subscriber= (base − bulk) × the active plan's purchase_discount_percent
 *   − promotion = percent of what is left, or a fixed amount
 *   = total     (Stripe's minimum charge, 50 cents, or the purchase is refused)
 *
 * Each discount is rounded down to a whole cent (in the platform's favour by
 * less than a cent); the arithmetic is exact integer math throughout.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import { InvalidRequest } from "../errors";
import { CENTS_PER_CREDIT, centsToDollars } from "../lib/money";
import { type PromotionRow, usablePromotion } from "./promotions";

/** Bulk discount tiers, largest first: buying at least `minCredits` takes `percent` off the base price. */
export const BULK_TIERS: readonly { minCredits: number; percent: number }[] = [
  { minCredits: 10_000, percent: 15 },
  { minCredits: 5_000, percent: 10 },
  { minCredits: 1_000, percent: 5 },
];

export const MIN_PURCHASE_CREDITS = 10;
export const MAX_PURCHASE_CREDITS = 1_000_000;
/** Stripe will not charge less than $0.50 in USD. */
export const MIN_CHARGE_CENTS = 50;

export interface Discount {
  type: "bulk" | "subscriber" | "promotion";
  description: string;
  percent: number | null;
  amount_cents: number;
  amount: string;
  code?: string;
}

export interface Quote {
  credits: number;
  currency: "usd";
  usd_per_credit: string;
  base_cents: number;
  base: string;
  bulk_discount_cents: number;
  subscriber_discount_cents: number;
  promo_discount_cents: number;
  discounts: Discount[];
  discount_cents: number;
  total_cents: number;
  total: string;
  promo_code: string | null;
}

export interface PricedPurchase {
  quote: Quote;
  promotion: PromotionRow | null;
}

const pct = (cents: number, percent: number) => Math.floor((cents * percent) / 100);

export function bulkTier(credits: number): { minCredits: number; percent: number } | null {
  return BULK_TIERS.find((t) => credits >= t.minCredits) ?? null;
}

/** The best purchase discount among the user's active plans (0 without one). */
export async function subscriberDiscount(m: EntityManager, userId: string, now: Date): Promise<{ percent: number; plan: string | null }> {
  const rows: { percent: number; name: string }[] = await sql(m,
    `SELECT p.purchase_discount_percent AS percent, p.name FROM subscriptions s JOIN packages p ON p.id = s.package_id
      WHERE s.user_id = $1 AND s.status IN ('active', 'trialing') AND s.current_period_end > $2
      ORDER BY p.purchase_discount_percent DESC LIMIT 1`,
    [userId, now],
  );
  return rows[0] ? { percent: rows[0].percent, plan: rows[0].name } : { percent: 0, plan: null };
}

/**
 * Price a purchase. Throws InvalidRequest (400) for an amount out of range, a
 * promotion code that cannot be used, or a total below Stripe's minimum.
 * `lockPromotion` is for the checkout (see usablePromotion).
 */
export async function pricePurchase(
  m: EntityManager, userId: string, credits: number, promoCode: string | undefined, now: Date, lockPromotion = false,
): Promise<PricedPurchase> {
  if (!Number.isSafeInteger(credits) || credits < MIN_PURCHASE_CREDITS || credits > MAX_PURCHASE_CREDITS) {
    throw new InvalidRequest(`Buy between ${MIN_PURCHASE_CREDITS} and ${MAX_PURCHASE_CREDITS} whole credits.`, {
      issues: [{ path: "credits", message: `must be a whole number from ${MIN_PURCHASE_CREDITS} to ${MAX_PURCHASE_CREDITS}` }],
    });
  }
  const base = credits * CENTS_PER_CREDIT;
  const discounts: Discount[] = [];

  const tier = bulkTier(credits);
  const bulk = tier ? pct(base, tier.percent) : 0;
  if (tier) {
    discounts.push({ type: "bulk", description: `${tier.percent}% off ${tier.minCredits.toLocaleString("en-US")}+ credits`, percent: tier.percent, amount_cents: bulk, amount: centsToDollars(bulk) });
  }

  const sub = await subscriberDiscount(m, userId, now);
  const subscriber = sub.percent > 0 ? pct(base - bulk, sub.percent) : 0;
  if (sub.percent > 0) {
    discounts.push({ type: "subscriber", description: `${sub.percent}% off for ${sub.plan} subscribers`, percent: sub.percent, amount_cents: subscriber, amount: centsToDollars(subscriber) });
  }

  let promotion: PromotionRow | null = null;
  let promo = 0;
  if (promoCode !== undefined) {
    promotion = await usablePromotion(m, promoCode, userId, credits, now, lockPromotion);
    const left = base - bulk - subscriber;
    promo = promotion.kind === "percent" ? pct(left, promotion.percent_off!) : Math.min(promotion.amount_off_cents!, left);
    discounts.push({
      type: "promotion",
      description: promotion.description ?? (promotion.kind === "percent" ? `${promotion.percent_off}% off` : `$${centsToDollars(promotion.amount_off_cents!)} off`),
      percent: promotion.kind === "percent" ? promotion.percent_off : null,
      amount_cents: promo,
      amount: centsToDollars(promo),
      code: promotion.code,
    });
  }

  const discount = bulk + subscriber + promo;
  const total = base - discount;
  if (total < MIN_CHARGE_CENTS) {
    throw new InvalidRequest(`The total would be $${centsToDollars(total)}; card payments must be at least $${centsToDollars(MIN_CHARGE_CENTS)}. Buy more credits.`, {
      issues: [{ path: "credits", message: "total below the minimum charge" }],
      total_cents: total,
    });
  }
  return {
    promotion,
    quote: {
      credits, currency: "usd", usd_per_credit: centsToDollars(CENTS_PER_CREDIT), base_cents: base, base: centsToDollars(base),
      bulk_discount_cents: bulk, subscriber_discount_cents: subscriber, promo_discount_cents: promo, discounts,
      discount_cents: discount, total_cents: total, total: centsToDollars(total), promo_code: promotion?.code ?? null,
    },
  };
}
