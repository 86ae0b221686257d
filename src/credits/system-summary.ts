/**
 * The whole system's credits, all time: issued, spent, refunded, released,
 * expired, removed, held and outstanding, overall and per credit type.
 *
 * Flows come from one aggregate over ledger_transfers (a full scan: this is an
 * admin report, not a hot path; precompute it if the table outgrows that),
 * balances from the user accounts. Both are read in one REPEATABLE READ
 * snapshot, so `outstanding = issued − spent + dispute_refunded − expired −
 * removed` holds exactly even while jobs settle. A dispute refund gives back
 * credits that were spent, so it is its own figure rather than part of
 * `refunded` (holds released unspent).
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import * as ledger from "../ledger";
import { creditsToDollars, totalFor } from "./summary";

export interface SystemTotals {
  issued: number;
  spent: number;
  refunded: number;
  dispute_refunded: number;
  released: number;
  expired: number;
  removed: number;
  held: number;
  outstanding: number;
  available: number;
}

export interface SystemSummary extends SystemTotals {
  as_of: string;
  issued_by_type: { grant: number; purchase: number; subscription: number; adjustment: number };
  spent_usd: string;
  outstanding_usd: string;
  users: { total: number; active: number; paused: number };
  by_credit_type: (SystemTotals & { credit_type: string })[];
}

function empty(): SystemTotals {
  return { issued: 0, spent: 0, refunded: 0, dispute_refunded: 0, released: 0, expired: 0, removed: 0, held: 0, outstanding: 0, available: 0 };
}

export async function systemSummary(ctx: AppContext): Promise<SystemSummary> {
  return ctx.ds.transaction("REPEATABLE READ", (m) => summarize(m, ctx.clock.now()));
}

async function summarize(m: EntityManager, now: Date): Promise<SystemSummary> {
  const flows: { credit_type: string; type: string; inflow: boolean; amount: string }[] = await sql(m,
    `SELECT t.credit_type, t.type, (c.kind = 'user') AS inflow, sum(t.amount)::text AS amount
       FROM ledger_transfers t JOIN ledger_accounts c ON c.id = t.credit_account_id
      GROUP BY 1, 2, 3`,
  );
  const accounts: { credit_type: string; posted: string; held: string }[] = await sql(m,
    `SELECT credit_type, sum(credits_posted - debits_posted)::text AS posted, sum(debits_pending)::text AS held
       FROM ledger_accounts WHERE kind = 'user' GROUP BY 1`,
  );
  const [users] = (await sql(m,
    `SELECT count(*)::int AS total, (count(*) FILTER (WHERE credit_status = 'active'))::int AS active,
            (count(*) FILTER (WHERE credit_status = 'paused'))::int AS paused FROM users`,
  )) as [SystemSummary["users"]];

  const total = empty();
  const perType = new Map<string, SystemTotals>();
  const issued = { grant: 0, purchase: 0, subscription: 0, adjustment: 0 };
  const bucket = (ct: string) => perType.get(ct) ?? perType.set(ct, empty()).get(ct)!;
  for (const f of flows) {
    const key = totalFor(f.type, f.inflow);
    if (!key || key === "held") continue;
    const k = key === "granted" ? "issued" : f.type === "dispute_refund" ? "dispute_refunded" : key;
    const n = ledger.toInt(f.amount);
    total[k] += n;
    bucket(f.credit_type)[k] += n;
    if (k === "issued") issued[f.type as keyof typeof issued] += n;
  }
  for (const a of accounts) {
    const b = bucket(a.credit_type);
    b.outstanding = ledger.toInt(a.posted);
    b.held = ledger.toInt(a.held);
    b.available = b.outstanding - b.held;
    total.outstanding += b.outstanding;
    total.held += b.held;
    total.available += b.available;
  }
  return {
    as_of: now.toISOString(),
    ...total,
    issued_by_type: issued,
    spent_usd: creditsToDollars(total.spent),
    outstanding_usd: creditsToDollars(total.outstanding),
    users,
    by_credit_type: [...perType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([credit_type, t]) => ({ credit_type, ...t })),
  };
}
