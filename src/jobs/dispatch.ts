/** Handing admitted jobs to BullMQ (job id = jobs.id). */
import type { AppContext } from "../context";
import { addById } from "../queues";

/** Queue jobs that are committed `queued`. Never throws: a failure is logged, and the outbox relay dispatches them later. */
export function dispatch(ctx: AppContext, jobs: { id: string; attempts: number }[]): Promise<void> {
  return addById(ctx.queues.jobs, jobs.map((j) => ({ id: j.id, data: { jobId: j.id }, attempts: j.attempts })), {
    name: "run", backoffMs: ctx.config.JOB_BACKOFF_MS, keepCompletedSeconds: 3600, logger: ctx.logger, what: "jobs",
  });
}
