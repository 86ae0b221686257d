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
 * and the ledger's settlement run together, so on a data source (autocommit)
 * there is no transaction round trip at all, and the user account's row lock
 * — every hold and settlement of that user queues on it — is held only for
 * the server-side work and the commit, never across a network round trip.
 * null when another party already finished the job (the fence did not match).
 *
 * The charge is clamped to the hold in SQL. The job's credit columns assume
 * the hold was still pending (it must be: holds and job endings only ever
 * resolve together); should the ledger report an earlier resolution, they
 * are corrected to what the ledger says. A refusal by the ledger (no such
 * hold, more than it holds, a reused id) aborts the statement: the job is
 * left untouched and the error is thrown.
 */
export async function settleJob(m: EntityManager | DataSource, f: FinishJob): Promise<Settled | null> {
  return (await settled(m, [f], await settleStatement(m, f.from, [f])))[0]!;
}

/**
 * settleJob for many jobs, of any users, in one statement (the worker batches
 * endings that arrive while an earlier batch is being written: one round
 * trip, one commit and one lock per account for the batch). Every item is
 * fenced on `from` and its own attempt exactly as settleJob does, and each
 * hold is settled by ledger_settle (via ledger_settle_many, which takes the
 * batch's row locks in the ledger's global order first). Should the statement
 * fail — a refusal of one hold aborts it, as in settleJob — each job is
 * settled on its own instead, so only the refused one fails.
 */
export async function settleJobs(m: EntityManager | DataSource, from: JobStatus[], items: Omit<FinishJob, "from">[]): Promise<(Settled | null | Error)[]> {
  let rows: SettledRow[];
  try {
    rows = await settleStatement(m, from, items);
  } catch (err) {
    if (items.length === 1) return [asError(err)];
    return Promise.all(items.map((f) => settleJob(m, { ...f, from }).catch((e: unknown) => asError(e))));
  }
  return settled(m, items, rows);
}

interface SettledRow {
  ord: string;
  settle_status: string;
  posted: string;
  released: string;
  guard: null;
}

/** The fenced job updates and their holds' settlements, one row per item that got through its fence. */
function settleStatement(m: EntityManager | DataSource, from: JobStatus[], items: Omit<FinishJob, "from">[]): Promise<SettledRow[]> {
  return preparedRows<SettledRow>(
    m,
    "holdfast_settle_jobs",
    `WITH t AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::uuid[],
                              $9::text[], $10::text[], $11::text[])
           WITH ORDINALITY AS t (job_id, status, result, error_type, error_message, attempt, charge, settle_id, release_type, void_state,
                                 description, ord)
       ),
       j AS (
         UPDATE jobs SET status = t.status, result = t.result::jsonb, error_type = t.error_type, error_message = t.error_message,
                finished_at = now(), updated_at = now(),
                progress = CASE WHEN t.status = 'succeeded' THEN 100 ELSE jobs.progress END,
                credits_charged = least(greatest(t.charge, 0), jobs.credits_estimated),
                credits_refunded = jobs.credits_estimated - least(greatest(t.charge, 0), jobs.credits_estimated)
           FROM t
          WHERE jobs.id = t.job_id AND jobs.status = ANY ($12::text[]) AND (t.attempt IS NULL OR jobs.attempt = t.attempt)
          RETURNING jobs.id, jobs.hold_transfer_id, jobs.credits_charged, t.settle_id, t.release_type, t.void_state, t.description, t.ord
       )
       SELECT j.ord, s.status AS settle_status, s.posted, s.released,
              CASE WHEN s.status IN ('not_found', 'exceeds_hold', 'conflict') THEN ('ledger_settle refused: ' || s.status)::int END AS guard
         FROM ledger_settle_many(
                (SELECT array_agg(j.settle_id ORDER BY j.ord) FROM j), (SELECT array_agg(j.hold_transfer_id ORDER BY j.ord) FROM j),
                (SELECT array_agg(j.credits_charged ORDER BY j.ord) FROM j), (SELECT array_agg(j.release_type ORDER BY j.ord) FROM j),
                (SELECT array_agg(j.void_state ORDER BY j.ord) FROM j), (SELECT array_agg(j.description ORDER BY j.ord) FROM j)) AS s
         JOIN j ON j.hold_transfer_id = s.pending_id`,
    [items.map((f) => f.jobId), items.map((f) => f.status), items.map((f) => (f.result === undefined ? null : JSON.stringify(f.result))),
      items.map((f) => f.error?.type ?? null), items.map((f) => f.error?.message ?? null), items.map((f) => f.attempt),
      items.map((f) => Math.floor(f.charge)), items.map((f) => derivedId(f.jobId, "settle")), items.map((f) => f.releaseType),
      items.map((f) => (f.expire ? "expired" : "voided")), items.map((f) => describe(f)), from],
  );
}

/** Each item's outcome, by position in the batch: two claims of one job may end in one batch, and only the one its fence let through settled. */
function settled(m: EntityManager | DataSource, items: Omit<FinishJob, "from">[], rows: SettledRow[]): Promise<(Settled | null)[]> {
  const byOrd = new Map(rows.map((r) => [Number(r.ord), r]));
  return Promise.all(items.map(async (f, i) => {
    const row = byOrd.get(i + 1);
    if (!row) return null;
    const charged = toInt(row.posted);
    const refunded = toInt(row.released);
    if (row.settle_status !== "created") {
      // Only the job-row fence decides who finishes a job, and every finisher goes
      // through here, so the hold cannot already be resolved; keep the row truthful if it ever is.
      await m.query(`UPDATE jobs SET credits_charged = $2, credits_refunded = $3 WHERE id = $1`, [f.jobId, charged, refunded]);
    }
    return { status: f.status, charged, refunded };
  }));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Finish a job and settle its hold; the finished job, or null when another party already finished it. */
export async function finishJob(ds: DataSource, f: FinishJob): Promise<Job | null> {
  return (await settleJob(ds, f)) ? ds.getRepository(JobEntity).findOneByOrFail({ id: f.jobId }) : null;
}

function describe(f: Omit<FinishJob, "from">): string {
  if (f.status === "succeeded") return "Job succeeded";
  if (f.status === "canceled") return "Job cancelled";
  return f.error?.type === "user" ? "Job failed (input)" : "Job failed (platform): refunded";
}
