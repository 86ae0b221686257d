/** Friendly names for the shapes of the generated OpenAPI types (src/generated/openapi.ts). */
import type { components, paths } from "./generated/openapi.js";

type S = components["schemas"];
export type { components, paths };
export type Job = S["Job"];
export type JobStatus = Job["status"];
export type Estimate = S["Estimate"];
export type Batch = S["Batch"];
/** A batch in a list: the batch without its jobs. */
export type BatchSummary = S["BatchSummary"];
export type BatchStatus = Batch["status"];
export type FileInfo = S["File"];
export type Balance = S["Balance"];
export type Transaction = S["Transaction"];
export type TransactionType = Transaction["type"];
export type Hold = S["Hold"];
export type HoldStatus = Hold["status"];
export type ConsumeResult = S["ConsumeResult"];
export type CreditCheck = S["CreditCheck"];
export type SpendLimits = S["SpendLimits"];
export type ApiErrorBody = S["Error"];
export type Page<T> = { data: T[]; next_cursor: string | null };

/** A job to run: a kind this deployment serves and its input. */
export interface JobRequest {
  kind: string;
  input: unknown;
}

/** What GET /jobs/:id/events sends: the full job, or a change of progress or status. */
export type JobEvent =
  | { type: "job"; job: Job }
  | { type: "progress"; job_id: string; progress: number }
  | { type: "status"; job_id: string; status: JobStatus };
