import { EntitySchema } from "typeorm";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";
export const FINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "canceled"];

export interface Job {
  id: string;
  userId: string;
  batchId: string | null;
  kind: string;
  status: JobStatus;
  /** 0–100 */
  progress: number;
  input: unknown;
  creditType: string;
  creditsEstimated: string;
  holdTransferId: string | null;
  creditsCharged: string;
  creditsRefunded: string;
  result: unknown;
  errorType: "user" | "system" | null;
  errorMessage: string | null;
  /** Incremented by every claim; settlement is fenced on it. */
  attempt: number;
  maxAttempts: number;
  timeoutMs: number | null;
  /** Outbox mark: null until the job reached the queue. */
  enqueuedAt: Date | null;
  cancelRequestedAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  /** Set when the pruning task dropped input and result (JOB_RETENTION_DAYS); credits and status stay. */
  prunedAt?: Date | null;
}

export const JobEntity = new EntitySchema<Job>({
  name: "Job",
  tableName: "jobs",
  columns: {
    id: { type: "uuid", primary: true },
    userId: { name: "user_id", type: "uuid" },
    batchId: { name: "batch_id", type: "uuid", nullable: true },
    kind: { type: "text" },
    status: { type: "text", default: "queued" },
    progress: { type: "smallint", default: 0 },
    input: { type: "jsonb" },
    creditType: { name: "credit_type", type: "text" },
    creditsEstimated: { name: "credits_estimated", type: "bigint" },
    holdTransferId: { name: "hold_transfer_id", type: "uuid", nullable: true },
    creditsCharged: { name: "credits_charged", type: "bigint", default: 0 },
    creditsRefunded: { name: "credits_refunded", type: "bigint", default: 0 },
    result: { type: "jsonb", nullable: true },
    errorType: { name: "error_type", type: "text", nullable: true },
    errorMessage: { name: "error_message", type: "text", nullable: true },
    attempt: { type: "int", default: 0 },
    maxAttempts: { name: "max_attempts", type: "int", default: 3 },
    timeoutMs: { name: "timeout_ms", type: "int", nullable: true },
    enqueuedAt: { name: "enqueued_at", type: "timestamptz", nullable: true },
    cancelRequestedAt: { name: "cancel_requested_at", type: "timestamptz", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
    startedAt: { name: "started_at", type: "timestamptz", nullable: true },
    finishedAt: { name: "finished_at", type: "timestamptz", nullable: true },
    updatedAt: { name: "updated_at", type: "timestamptz", updateDate: true },
    prunedAt: { name: "pruned_at", type: "timestamptz", nullable: true },
  },
});
