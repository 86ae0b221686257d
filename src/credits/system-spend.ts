/**
 * The whole system's spend per UTC day over the last N days (today included),
 * split by job kind: the admin dashboard's spend chart. "Spent" is the same
 * figure as the system summary's: every `charge` transfer (a job's charge, a
 * captured hold, a consume), so the days add up to the summary's `spent` for
 * the same window. Charges without a job (holds, consume) count as `other`.
 *
 * One statement, so the days and their total come from one snapshot. It scans
 * the window's transfers (an admin report, not a hot path).
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import * as ledger from "../ledger";
import { creditsToDollars } from "./summary";

export const MAX_SPEND_DAYS = 90;

export interface SystemSpendDay {
  date: string;
  spent: number;
  spent_usd: string;
  by_kind: { kind: string; credits: number }[];
}

export interface SystemSpend {
  as_of: string;
  from: string;
  to: string;
  days: number;
  total: number;
  total_usd: string;
  by_day: SystemSpendDay[];
}

const DAY_MS = 86_400_000;

export async function systemSpendByDay(ctx: AppContext, days: number): Promise<SystemSpend> {
  const now = ctx.clock.now();
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const start = new Date(end.getTime() - days * DAY_MS);
  const rows: { day: string; kind: string; credits: string }[] = await sql(ctx.ds.manager,
    `SELECT to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, coalesce(j.kind, 'other') AS kind, sum(t.amount)::text AS credits
       FROM ledger_transfers t LEFT JOIN jobs j ON j.id = t.job_id
      WHERE t.type = 'charge' AND t.created_at >= $1 AND t.created_at < $2
      GROUP BY 1, 2`,
    [start, end],
  );
  const byDay = new Map<string, SystemSpendDay>();
  for (let i = 0; i < days; i++) {
    const date = new Date(start.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    byDay.set(date, { date, spent: 0, spent_usd: "0.00", by_kind: [] });
  }
  let total = 0;
  for (const r of rows) {
    const day = byDay.get(r.day);
    if (!day) continue; // cannot happen: the window is whole UTC days
    const credits = ledger.toInt(r.credits);
    day.spent += credits;
    day.by_kind.push({ kind: r.kind, credits });
    total += credits;
  }
  for (const d of byDay.values()) {
    d.spent_usd = creditsToDollars(d.spent);
    d.by_kind.sort((a, b) => b.credits - a.credits || a.kind.localeCompare(b.kind));
  }
  return {
    as_of: now.toISOString(),
    from: start.toISOString().slice(0, 10),
    to: new Date(end.getTime() - DAY_MS).toISOString().slice(0, 10),
    days,
    total,
    total_usd: creditsToDollars(total),
    by_day: [...byDay.values()],
  };
}
