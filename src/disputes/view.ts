/** A dispute as API.md shows it, and the row it is read from. */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import { NotFound } from "../errors";
import { UUID_RE } from "../lib/ids";
import { toInt } from "../ledger/types";

export const DISPUTE_REASONS = ["failed_job", "wrong_charge", "quality", "other"] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];
export const DISPUTE_STATUSES = ["open", "under_review", "resolved"] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
export type DisputeOutcome = "refunded" | "rejected";

export interface DisputeView {
  id: string;
  user_id: string;
  status: DisputeStatus;
  job_id: string | null;
  transaction_id: string | null;
  disputed_credits: number;
  reason: DisputeReason;
  description: string;
  outcome: DisputeOutcome | null;
  refunded_credits: number;
  admin_note: string | null;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
}

export interface DisputeRow {
  id: string;
  user_id: string;
  status: DisputeStatus;
  job_id: string | null;
  transaction_id: string | null;
  item_id: string;
  credit_type: string;
  item_charged: string;
  disputed_credits: string;
  reason: DisputeReason;
  description: string;
  outcome: DisputeOutcome | null;
  refunded_credits: string;
  admin_note: string | null;
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
}

export const DISPUTE_COLUMNS = `id, user_id, status, job_id, transaction_id, item_id, credit_type, item_charged, disputed_credits, reason,
  description, outcome, refunded_credits, admin_note, created_at, updated_at, resolved_at`;

export function toDisputeView(r: DisputeRow): DisputeView {
  return {
    id: r.id,
    user_id: r.user_id,
    status: r.status,
    job_id: r.job_id,
    transaction_id: r.transaction_id,
    disputed_credits: toInt(r.disputed_credits),
    reason: r.reason,
    description: r.description,
    outcome: r.outcome,
    refunded_credits: toInt(r.refunded_credits),
    admin_note: r.admin_note,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    resolved_at: r.resolved_at ? r.resolved_at.toISOString() : null,
  };
}

/** The dispute row, or 404 (also for an id that is not a UUID). `forUpdate` locks it for the caller's transaction. */
export async function disputeRow(m: EntityManager, id: string, forUpdate = false): Promise<DisputeRow> {
  if (!UUID_RE.test(id)) throw new NotFound("Dispute");
  const rows: DisputeRow[] = await sql(m, `SELECT ${DISPUTE_COLUMNS} FROM disputes WHERE id = $1${forUpdate ? " FOR UPDATE" : ""}`, [id]);
  if (!rows[0]) throw new NotFound("Dispute");
  return rows[0];
}

/** What the emails call the disputed item. */
export function itemLabel(r: Pick<DisputeRow, "job_id" | "transaction_id">): string {
  return r.job_id ? `job ${r.job_id}` : `transaction ${r.transaction_id}`;
}

/**
 * Serialize everything that decides how much of one item can still be given
 * back — opening a dispute on it, resolving one — for the rest of the
 * caller's transaction. Without it, a dispute opened while an earlier one of
 * the same item is being refunded would read the amount left before that
 * refund commits, and the two refunds together could exceed the charge.
 */
export async function lockItem(m: EntityManager, itemId: string): Promise<void> {
  await sql(m, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`dispute-item:${itemId}`]);
}

/** Credits already given back for this item by resolved disputes (other than `exceptId`). */
export async function refundedForItem(m: EntityManager, itemId: string, exceptId: string | null = null): Promise<number> {
  const rows: { n: string }[] = await sql(m,
    `SELECT coalesce(sum(refunded_credits), 0)::text AS n FROM disputes WHERE item_id = $1 AND ($2::uuid IS NULL OR id <> $2::uuid)`,
    [itemId, exceptId],
  );
  return toInt(rows[0]!.n);
}
