/** Dispute numbers for admins, from one statement (one snapshot). */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import { toInt } from "../ledger/types";
import { DISPUTE_STATUSES, type DisputeReason, type DisputeStatus } from "./view";

export interface DisputeStats {
  by_status: Record<DisputeStatus, number>;
  by_outcome: { refunded: number; rejected: number };
  /** Credits given back by all refunded disputes. */
  refunded_credits: number;
  /** Median time from opening to resolution over resolved disputes, in hours (2 decimals); null when none is resolved. */
  median_hours_to_resolve: number | null;
  /** Reasons by number of disputes, most frequent first (ties by name); reasons never used are left out. */
  top_reasons: { reason: DisputeReason; count: number }[];
}

export async function disputeStats(ctx: AppContext): Promise<DisputeStats> {
  const [row] = (await sql(ctx.ds,
    `SELECT
       (SELECT coalesce(json_object_agg(status, n), '{}') FROM (SELECT status, count(*)::int AS n FROM disputes GROUP BY status) s) AS by_status,
       (SELECT count(*)::int FROM disputes WHERE outcome = 'refunded') AS refunded,
       (SELECT count(*)::int FROM disputes WHERE outcome = 'rejected') AS rejected,
       (SELECT coalesce(sum(refunded_credits), 0)::text FROM disputes) AS refunded_credits,
       (SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at)) / 3600)::numeric, 2)::float8
          FROM disputes WHERE status = 'resolved') AS median_hours,
       (SELECT coalesce(json_agg(json_build_object('reason', reason, 'count', n) ORDER BY n DESC, reason), '[]')
          FROM (SELECT reason, count(*)::int AS n FROM disputes GROUP BY reason) r) AS top_reasons`,
  )) as [{ by_status: Partial<Record<DisputeStatus, number>>; refunded: number; rejected: number; refunded_credits: string; median_hours: number | null; top_reasons: DisputeStats["top_reasons"] }];
  const byStatus = Object.fromEntries(DISPUTE_STATUSES.map((s) => [s, row.by_status[s] ?? 0])) as Record<DisputeStatus, number>;
  return {
    by_status: byStatus,
    by_outcome: { refunded: row.refunded, rejected: row.rejected },
    refunded_credits: toInt(row.refunded_credits),
    median_hours_to_resolve: row.median_hours,
    top_reasons: row.top_reasons,
  };
}
