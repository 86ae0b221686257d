/**
 * Ending a job: the job's final state and the ledger's resolution of its hold
 * commit together, in one statement, or not at all.
 *
 * Fencing: the job row is updated only if it is still in an expected status
 * (and, for a worker, still at the attempt number its claim returned), so a
 * stale worker, the reaper and a cancel can race freely and exactly one of
 * them finishes the job. The hold's settlement id derives from the job id,
 * so even a retry of the winner cannot charge twice.
 */
import type { DataSource, EntityManager } from "typeorm";
import { type Job, JobEntity, type JobStatus } from "../entities/job";
import { preparedRows } from "../db/prepared";
import { derivedId } from "../lib/ids";
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

/** How a finished job's hold was resolved. */
export interface Settled {
  status: FinishJob["status"];
  charged: number;
  refunded: number;
}

/**
 * Finish a job and settle its hold in ONE statement: the fenced job update
 * and ledger_settle run together, so on a data source (autocommit) there is
 * no transaction round trip at all, and the user account's row lock — every
 * hold and settlement of that user queues on it — is held only for the
 * server-side work and the commit, never across a network round trip.
 * null when another party already finished the job (the fence did not match).
 *
 * The charge is clamped to the hold in SQL. The job's credit columns assume
 * the hold was still pending (it must be: holds and job endings only ever
 * resolve together); should the ledger report an earlier resolution, they
 * are corrected to what the ledger says.
 */
export async function settleJob(m: EntityManager | DataSource, f: FinishJob): Promise<Settled | null> {
  const rows = await preparedRows<{ settle_status: string; posted: string; released: string; guard: null }>(
    m,
    "holdfast_settle_job",
    `WITH j AS (
       UPDATE jobs SET status = $2::text, result = $3, error_type = $4::text, error_message = $5, finished_at = now(), updated_at = now(),
              progress = CASE WHEN $2::text = 'succeeded' THEN 100 ELSE progress END,
              credits_charged = least(greatest($8::bigint, 0), credits_estimated),
              credits_refunded = credits_estimated - least(greatest($8::bigint, 0), credits_estimated)
        WHERE id = $1 AND status = ANY ($6) AND ($7::int IS NULL OR attempt = $7)
        RETURNING hold_transfer_id, credits_charged
     )
     SELECT s.status AS settle_status, s.posted, s.released,
            -- A refusal must undo the job update too. Plain SQL has no RAISE; a failing cast aborts the statement.
            CASE WHEN s.status IN ('not_found', 'exceeds_hold', 'conflict') THEN ('ledger_settle refused: ' || s.status)::int END AS guard
       FROM j CROSS JOIN LATERAL ledger_settle($9::uuid, j.hold_transfer_id, j.credits_charged, $10, $11, $12) AS s`,
    [f.jobId, f.status, f.result === undefined ? null : JSON.stringify(f.result), f.error?.type ?? null,
      f.error?.message ?? null, f.from, f.attempt, Math.floor(f.charge), derivedId(f.jobId, "settle"), f.releaseType,
      f.expire ? "expired" : "voided", describe(f)],
  );
  const row = rows[0];
  if (!row) return null;
  const charged = toInt(row.posted);
  const refunded = toInt(row.released);
  if (row.settle_status !== "created") {
    // Only the job-row fence decides who finishes a job, and every finisher goes
    // through here, so the hold cannot already be resolved; keep the row truthful if it ever is.
    await m.query(`UPDATE jobs SET credits_charged = $2, credits_refunded = $3 WHERE id = $1`, [f.jobId, charged, refunded]);
  }
  return { status: f.status, charged, refunded };
}

/** Finish a job and settle its hold; the finished job, or null when another party already finished it. */
export async function finishJob(ds: DataSource, f: FinishJob): Promise<Job | null> {
  return (await settleJob(ds, f)) ? ds.getRepository(JobEntity).findOneByOrFail({ id: f.jobId }) : null;
}

function describe(f: FinishJob): string {
  if (f.status === "succeeded") return "Job succeeded";
  if (f.status === "canceled") return "Job cancelled";
  return f.error?.type === "user" ? "Job failed (input)" : "Job failed (platform): refunded";
}
