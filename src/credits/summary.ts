/**
 * A user's credits over one calendar month (UTC): what came in, what was
 * spent (and on which job kinds, with its dollar value), what came back and
 * what is held now. Read in one REPEATABLE READ snapshot so the numbers agree
 * with each other even while jobs settle.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import { CENTS_PER_CREDIT, centsToDollars } from "../lib/money";
import type { AppContext } from "../context";
import { InvalidRequest } from "../errors";
import * as ledger from "../ledger";
import { requireUser } from "./account";

export interface Totals {
  granted: number;
  spent: number;
  refunded: number;
  released: number;
  expired: number;
  removed: number;
  held: number;
}

export interface MonthlySummary extends Totals {
  period: { month: string; start: string; end: string };
  spent_usd: string;
  usd_per_credit: string;
  granted_by_type: { grant: number; purchase: number; subscription: number; adjustment: number };
  spend_by_kind: { kind: string; jobs: number; credits: number; usd: string }[];
  by_credit_type: (Totals & { credit_type: string })[];
}

/** Credits → "1.20" at the platform's base rate (integer cents, no floats). */
export function creditsToDollars(credits: number): string {
  return centsToDollars(credits * CENTS_PER_CREDIT);
}

/** [start, end) of the UTC month "YYYY-MM", or of the month `now` is in. */
export function monthWindow(month: string | undefined, now: Date): { month: string; start: Date; end: Date } {
  const [y, m] = month ? month.split("-").map(Number) : [now.getUTCFullYear(), now.getUTCMonth() + 1];
  if (!y || !m || m < 1 || m > 12 || y < 1970 || y > 9999) {
    throw new InvalidRequest("month must be YYYY-MM.", { issues: [{ path: "month", message: "must be YYYY-MM" }] });
  }
  const start = new Date(Date.UTC(y, m - 1, 1));
  const end = new Date(Date.UTC(y, m, 1));
  return { month: `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}`, start, end };
}

export function emptyTotals(): Totals {
  return { granted: 0, spent: 0, refunded: 0, released: 0, expired: 0, removed: 0, held: 0 };
}

/**
 * Where a transfer of `type` lands among the totals. `inflow` says whether it
 * credited the user's account: admin adjustments go either way, and holds
 * move nothing posted (their resolution — charge, release, refund — does).
 */
export function totalFor(type: string, inflow: boolean): keyof Totals | null {
  switch (type) {
    case "grant":
    case "purchase":
    case "subscription":
      return "granted";
    case "adjustment":
      return inflow ? "granted" : "removed";
    // Purchased credits taken back after a Stripe refund or lost chargeback (or repaying a debt).
    case "clawback":
      return "removed";
    case "charge":
      return "spent";
    case "refund":
    case "dispute_refund":
      return "refunded";
    case "release":
      return "released";
    case "expire":
      return "expired";
    default:
      return null;
  }
}

export async function monthlySummary(ctx: AppContext, userId: string, month?: string): Promise<MonthlySummary> {
  const w = monthWindow(month, ctx.clock.now());
  return ctx.ds.transaction("REPEATABLE READ", (m) => summarize(m, userId, w));
}

/** An admin's view of one user's month; 404 for an unknown user. */
export async function monthlySummaryOfUser(ctx: AppContext, userId: string, month?: string): Promise<MonthlySummary> {
  return monthlySummary(ctx, (await requireUser(ctx.ds.manager, userId)).id, month);
}

async function summarize(m: EntityManager, userId: string, w: { month: string; start: Date; end: Date }): Promise<MonthlySummary> {
  // Every transfer of a user carries its user_id; the (user_id, created_at) index bounds the scan to the month.
  const flows: { credit_type: string; type: string; inflow: boolean; amount: string }[] = await sql(m,
    `SELECT t.credit_type, t.type, (c.kind = 'user') AS inflow, sum(t.amount)::text AS amount
       FROM ledger_transfers t JOIN ledger_accounts c ON c.id = t.credit_account_id
      WHERE t.user_id = $1 AND t.created_at >= $2 AND t.created_at < $3
      GROUP BY 1, 2, 3`,
    [userId, w.start, w.end],
  );
  const byKind: { kind: string; jobs: number; credits: string }[] = await sql(m,
    `SELECT coalesce(j.kind, 'other') AS kind, count(*)::int AS jobs, sum(t.amount)::text AS credits
       FROM ledger_transfers t LEFT JOIN jobs j ON j.id = t.job_id
      WHERE t.user_id = $1 AND t.type = 'charge' AND t.created_at >= $2 AND t.created_at < $3
      GROUP BY 1 ORDER BY sum(t.amount) DESC, 1`,
    [userId, w.start, w.end],
  );
  const balances = await ledger.balances(m, userId);

  const total = emptyTotals();
  const perType = new Map<string, Totals>();
  const granted = { grant: 0, purchase: 0, subscription: 0, adjustment: 0 };
  const bucket = (ct: string) => perType.get(ct) ?? perType.set(ct, emptyTotals()).get(ct)!;
  for (const f of flows) {
    const key = totalFor(f.type, f.inflow);
    if (!key) continue;
    const n = ledger.toInt(f.amount);
    total[key] += n;
    bucket(f.credit_type)[key] += n;
    if (key === "granted") granted[f.type as keyof typeof granted] += n;
  }
  for (const b of balances.by_type) {
    if (b.held === 0 && !perType.has(b.credit_type)) continue;
    total.held += b.held;
    bucket(b.credit_type).held = b.held;
  }
  return {
    period: { month: w.month, start: w.start.toISOString(), end: w.end.toISOString() },
    ...total,
    spent_usd: creditsToDollars(total.spent),
    usd_per_credit: centsToDollars(CENTS_PER_CREDIT),
    granted_by_type: granted,
    spend_by_kind: byKind.map((k) => {
      const credits = ledger.toInt(k.credits);
      return { kind: k.kind, jobs: k.jobs, credits, usd: creditsToDollars(credits) };
    }),
    by_credit_type: [...perType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([credit_type, t]) => ({ credit_type, ...t })),
  };
}
