/**
 * Billing-period arithmetic for plans Holdfast renews itself (admin-assigned
 * plans; Stripe computes its own). Periods are calendar months from an
 * anchor, in UTC: period n is [anchor + n months, anchor + n+1 months), with
 * the day clamped to the month's end (Jan 31 → Feb 28/29 → Mar 31), always
 * counted from the anchor so a short month never shifts later periods.
 */

/** `anchor` plus `n` calendar months (UTC), the day clamped to the target month's length. */
export function addMonths(anchor: Date, n: number): Date {
  const y = anchor.getUTCFullYear();
  const m = anchor.getUTCMonth() + n;
  const target = new Date(Date.UTC(y, m, 1, anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(anchor.getUTCDate(), lastDay));
  return target;
}

export interface Period {
  index: number;
  start: Date;
  end: Date;
}

export function periodAt(anchor: Date, index: number): Period {
  return { index, start: addMonths(anchor, index), end: addMonths(anchor, index + 1) };
}

/** The period that contains `at` (at ≥ anchor). */
export function periodContaining(anchor: Date, at: Date): Period {
  if (at < anchor) return periodAt(anchor, 0);
  // Estimate from the month difference, then step to the exact one.
  let i = (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  i = Math.max(0, i - 1);
  while (addMonths(anchor, i + 1) <= at) i++;
  return periodAt(anchor, i);
}

/** Which period index starts exactly at `start` (or -1). */
export function periodIndexOf(anchor: Date, start: Date): number {
  const p = periodContaining(anchor, start);
  return p.start.getTime() === start.getTime() ? p.index : -1;
}

/**
 * The prorated credit difference of an upgrade at `now`: the extra credits
 * the better plan gives, times the fraction of the period still to run,
 * rounded down to whole credits.
 */
export function proratedCredits(extraCredits: number, start: Date, end: Date, now: Date): number {
  const total = end.getTime() - start.getTime();
  if (extraCredits <= 0 || total <= 0) return 0;
  const left = Math.min(Math.max(end.getTime() - now.getTime(), 0), total);
  // BigInt keeps the product exact for any realistic credit count.
  return Number((BigInt(extraCredits) * BigInt(left)) / BigInt(total));
}
