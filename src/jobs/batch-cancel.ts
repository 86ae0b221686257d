/**
 * POST /batches/:id/cancel: cancel every job of the batch that is not final
 * yet, each exactly as POST /jobs/:id/cancel would (./cancel.ts): queued jobs
 * end at once with their holds released, running ones are asked to abort.
 * Jobs that already ended keep their ending.
 *
 * Safe to repeat and to race: every ending is fenced on the job's status
 * (and a worker's on its attempt), so a job a worker is finishing at the same
 * moment ends once — charged by its run, or released by the cancel — and a
 * second cancel finds nothing left to release (409 once every job is final).
 */
import type { AppContext } from "../context";
import { FINAL_STATUSES, type JobStatus } from "../entities/job";
import type { User } from "../entities/user";
import { InvalidState } from "../errors";
import { type BatchView, getBatchView, loadBatch } from "./batches";
import { stopJobs, untilStopped } from "./cancel";
import * as store from "./store";

/** Waits up to `waitMs` (default 5 s, as a single cancel) for running jobs to wind down, then answers the batch as it is. */
export async function cancelBatch(ctx: AppContext, user: User, id: string, waitMs = 5000): Promise<BatchView> {
  const batch = await loadBatch(ctx, user, id);
  const statuses = await store.jobStatuses(ctx.ds, batch.jobIds);
  const open = batch.jobIds.filter((jobId) => !FINAL_STATUSES.includes(statuses.get(jobId) as JobStatus));
  if (open.length === 0) {
    throw new InvalidState("The batch has already finished: every job in it is final, so there is nothing left to cancel.", { status: "finished" });
  }
  const asked = await stopJobs(ctx, open.map((jobId) => ({ id: jobId, userId: batch.userId })));
  await untilStopped(ctx, asked, waitMs);
  return getBatchView(ctx, user, id);
}
