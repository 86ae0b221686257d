/** Handing admitted jobs to BullMQ (job id = jobs.id). */
import type { AppContext } from "../context";
import { addById, bounded } from "../queues";
import { enqueuePriorities, fairOn } from "./fairness";

export interface DispatchJob {
  id: string;
  userId: string;
  attempts: number;
  /** When the job's hold may expire; the worker lets the job wait out a database outage no longer than that. */
  expiresAt?: Date | null;
}

/** Queue jobs that are committed `queued`. Never throws: a failure is logged, and the outbox relay dispatches them later. */
export async function dispatch(ctx: AppContext, jobs: DispatchJob[]): Promise<void> {
  if (jobs.length === 0) return;
  let priorities: (number | undefined)[] = [];
  if (fairOn(ctx)) {
    // Each job's place among its user's waiting jobs (src/jobs/fairness.ts). Should Redis fail here, queue it as a
    // user's first job: the add below most likely fails as well, and the relay queues it again later.
    // Bounded, so that with Redis away or hung this adds little to the queue write's own bound (a submit answers within 1 s).
    const counted = ctx.redis.status === "ready" ? enqueuePriorities(ctx, jobs) : Promise.reject(new Error(`Redis is ${ctx.redis.status}`));
    priorities = await bounded(counted, Math.ceil(ctx.config.REDIS_COMMAND_TIMEOUT_MS / 2), "fair dispatch counters").catch((err: unknown) => {
      ctx.logger.warn({ err, count: jobs.length }, "fair dispatch counters unreachable");
      return jobs.map(() => 1);
    });
  }
  return addById(
    ctx.queues.jobs,
    jobs.map((j, i) => ({ id: j.id, data: { jobId: j.id, userId: j.userId, ...(j.expiresAt ? { holdExpiresAt: j.expiresAt.getTime() } : {}) }, attempts: j.attempts, priority: priorities[i] })),
    { name: "run", backoffMs: ctx.config.JOB_BACKOFF_MS, keepCompletedSeconds: 3600, logger: ctx.logger, what: "jobs" },
  );
}
