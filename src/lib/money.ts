/** The base price of one credit, in integer cents (API.md: `usd_per_credit`). Change it here only. */
export const CENTS_PER_CREDIT = 10;

/** Integer cents → "19.99". */
export function centsToDollars(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}
