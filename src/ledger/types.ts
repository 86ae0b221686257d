import type { LotCategory } from "../entities/ledger-lot";

/** The credit type used when none is named. */
export const DEFAULT_CREDIT_TYPE = "standard";

/**
 * Burn order between lots: lower first. Subscription credits expire with
 * their period, so they go before promotional, admin and (never-expiring)
 * purchased credits. Expired remainders always go first (see ledger_burn_lots).
 */
export const LOT_PRIORITY: Record<LotCategory, number> = {
  subscription: 10,
  promotional: 20,
  admin: 30,
  // Credits given back for a dispute never expire: spent before purchased credits, after expiring ones.
  dispute: 35,
  purchase: 40,
};

export type GrantType = "grant" | "purchase" | "subscription" | "adjustment" | "dispute_refund";

/** Outcome of an idempotent ledger call: `created` now, or `exists` from an earlier call with the same id. */
export type Applied = "created" | "exists";

export interface Balance {
  credit_type: string;
  available: number;
  held: number;
  posted: number;
}

/** Convert a bigint column (string from pg) to a number; credits stay far below 2^53. */
export function toInt(v: string | number | bigint | null | undefined): number {
  if (v === null || v === undefined) return 0;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`ledger value ${String(v)} is not a safe integer`);
  return n;
}

export function assertCredits(name: string, n: number, { allowZero = false } = {}): void {
  if (!Number.isSafeInteger(n) || n < 0 || (!allowZero && n === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? "non-negative" : "positive"} whole number of credits, got ${n}`);
  }
}
