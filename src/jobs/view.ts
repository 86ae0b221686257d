import { FINAL_STATUSES, type Job, type JobStatus } from "../entities/job";
import { toInt } from "../ledger/types";

/** The job's newest dispute, as GET /jobs and GET /jobs/:id show it (see src/disputes/job-view.ts). */
export interface JobDispute {
  id: string;
  status: "open" | "under_review" | "resolved";
  outcome: "refunded" | "rejected" | null;
  disputed_credits: number;
  refunded_credits: number;
}

/** The job as API.md shows it. */
export interface JobView {
  id: string;
  kind: string;
  status: JobStatus;
  progress: number;
  input: unknown;
  credits: { estimated: number; held: number; charged: number; refunded: number };
  result: unknown;
  error: { type: "user" | "system"; message: string } | null;
  attempts: number;
  batch_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Reads of a job (GET /jobs, /jobs/:id) add its newest dispute, or null. */
  dispute?: JobDispute | null;
  /** When input and result were dropped after JOB_RETENTION_DAYS (both then null); absent otherwise. */
  pruned_at?: string;
}

export function toJobView(j: Job): JobView {
  const estimated = toInt(j.creditsEstimated);
  const charged = toInt(j.creditsCharged);
  const refunded = toInt(j.creditsRefunded);
  const final = FINAL_STATUSES.includes(j.status);
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    progress: j.progress,
    input: j.input,
    credits: { estimated, held: final ? 0 : estimated - charged - refunded, charged, refunded },
    result: j.result ?? null,
    error: j.errorType ? { type: j.errorType, message: j.errorMessage ?? "" } : null,
    attempts: j.attempt,
    batch_id: j.batchId,
    created_at: j.createdAt.toISOString(),
    started_at: j.startedAt ? j.startedAt.toISOString() : null,
    finished_at: j.finishedAt ? j.finishedAt.toISOString() : null,
    ...(j.prunedAt ? { input: null, result: null, pruned_at: j.prunedAt.toISOString() } : {}),
  };
}
