/**
 * Jobs as the API reads them, and cancel. Submission is admission
 * (src/jobs/admission.ts), quoting is src/jobs/quote.ts; every statement on
 * the jobs table is in the store (src/jobs/store.ts).
 */
import { z } from "zod";
import type { AppContext } from "../context";
import { FINAL_STATUSES, type Job, type JobStatus } from "../entities/job";
import type { User } from "../entities/user";
import { InvalidState, NotFound } from "../errors";
import { UUID_RE } from "../lib/ids";
import { decodeCursor, type Page, toPage } from "../lib/pagination";
import { stopJobs, untilStopped } from "./cancel";
import * as store from "./store";
import { type JobView, toJobView } from "./view";

async function loadOwned(ctx: AppContext, user: User, id: string): Promise<Job> {
  if (!UUID_RE.test(id)) throw new NotFound("Job");
  const job = await store.findJob(ctx.ds, id);
  // Another user's job is indistinguishable from a missing one.
  if (!job || (job.userId !== user.id && user.role !== "admin")) throw new NotFound("Job");
  return job;
}

export async function getJobView(ctx: AppContext, user: User, id: string): Promise<JobView> {
  return toJobView(await loadOwned(ctx, user, id));
}

export const listQuery = z.object({
  status: z.enum(["queued", "running", "succeeded", "failed", "canceled"]).optional(),
  kind: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});
export type ListQuery = z.infer<typeof listQuery>;

export async function listJobs(ctx: AppContext, user: User, q: ListQuery): Promise<Page<JobView>> {
  const cursor = decodeCursor(q.cursor);
  const rows = await store.listJobs(ctx.ds, {
    userId: user.id, status: q.status, kind: q.kind, limit: q.limit + 1, before: cursor ?? undefined,
  });
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.job.id }), (r) => toJobView(r.job));
}

/**
 * Cancel: a queued job is finished at once and its hold released; a running
 * job is asked to stop (the worker aborts it, then releases the hold); a
 * finished job is a 409. Waits briefly for a running job to wind down.
 * The stopping itself is shared with batch cancel (./cancel.ts).
 */
export async function cancelJob(ctx: AppContext, user: User, id: string, waitMs = 5000): Promise<JobView> {
  const job = await loadOwned(ctx, user, id);
  if (FINAL_STATUSES.includes(job.status)) {
    throw new InvalidState(`The job has already finished (${job.status}); only a queued or running job can be cancelled.`, { status: job.status });
  }
  const asked = await stopJobs(ctx, [{ id, userId: job.userId }]);
  await untilStopped(ctx, asked, waitMs);
  const now = (await store.findJob(ctx.ds, id))!;
  if (now.status === "succeeded" || now.status === "failed") {
    throw new InvalidState(`The job ${now.status} before it could be cancelled.`, { status: now.status });
  }
  return toJobView(now);
}

export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
