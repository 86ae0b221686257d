/**
 * Ending a job: the job's final state and the ledger's resolution of its hold
 * commit together, in one transaction, or not at all.
 *
 * Fencing: the job row is updated only if it is still in an expected status
 * (and, for a worker, still at the attempt number its claim returned), so a
 * stale worker, the reaper and a cancel can race freely and exactly one of
 * them finishes the job. The hold's settlement id derives from the job id,
 * so even a retry of the winner cannot charge twice.
 */
import type { DataSource, EntityManager } from "typeorm";
import { type Job, JobEntity, type JobStatus } from "../entities/job";
import { sqlRows } from "../db/sql";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import { toInt } from "../ledger/types";

export interface FinishJob {
  jobId: string;
  /** Only the claim with this attempt may finish the job; null: any (cancel of a queued job, the reaper). */
  attempt: number | null;
  /** Statuses the job may be in for this finish to apply. */
  from: JobStatus[];
  status: "succeeded" | "failed" | "canceled";
  /** Credits to capture from the hold (clamped to it); 0 releases everything. */
  charge: number;
  /** How an uncharged remainder shows in history: `refund` (platform failed) or `release`. */
  releaseType: "release" | "refund";
  result?: unknown;
  error?: { type: "user" | "system"; message: string } | null;
  /** The reaper: resolve the hold as expired rather than voided. */
  expire?: boolean;
}

/** Finish a job and settle its hold; null when another party already finished it. */
export async function finishJob(ds: DataSource, f: FinishJob): Promise<Job | null> {
  return ds.transaction((m) => finishJobIn(m, f));
}

export async function finishJobIn(m: EntityManager, f: FinishJob): Promise<Job | null> {
  const rows = await sqlRows<{ hold_transfer_id: string; credits_estimated: string }>(
    m,
    `UPDATE jobs SET status = $2, result = $3, error_type = $4, error_message = $5, finished_at = now(), updated_at = now(),
            progress = CASE WHEN $2 = 'succeeded' THEN 100 ELSE progress END
      WHERE id = $1 AND status = ANY ($6) AND ($7::int IS NULL OR attempt = $7)
      RETURNING hold_transfer_id, credits_estimated`,
    [f.jobId, f.status, f.result === undefined ? null : JSON.stringify(f.result), f.error?.type ?? null,
      f.error?.message ?? null, f.from, f.attempt],
  );
  const row = rows[0];
  if (!row) return null;
  const held = toInt(row.credits_estimated);
  const charge = Math.max(0, Math.min(Math.floor(f.charge), held));
  const id = derivedId(f.jobId, "settle");
  const r =
    charge > 0
      ? await ledger.post(m, { id, pendingId: row.hold_transfer_id, amount: charge, releaseType: f.releaseType, description: describe(f) })
      : f.expire
        ? await ledger.expirePending(m, { id, pendingId: row.hold_transfer_id, releaseType: f.releaseType, description: describe(f) })
        : await ledger.voidHold(m, { id, pendingId: row.hold_transfer_id, releaseType: f.releaseType, description: describe(f) });
  // r.posted / r.released are the hold's actual resolution, also when an
  // earlier call (status `exists` / `already_*`) resolved it.
  await m.query(`UPDATE jobs SET credits_charged = $2, credits_refunded = $3 WHERE id = $1`, [f.jobId, r.posted, r.released]);
  return m.getRepository(JobEntity).findOneByOrFail({ id: f.jobId });
}

function describe(f: FinishJob): string {
  if (f.status === "succeeded") return "Job succeeded";
  if (f.status === "canceled") return "Job cancelled";
  return f.error?.type === "user" ? "Job failed (input)" : "Job failed (platform): refunded";
}
