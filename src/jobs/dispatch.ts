/** Handing admitted jobs to BullMQ (job id = jobs.id). */
import type { AppContext } from "../context";
import { addById, bounded } from "../queues";
import { enqueuePriorities, fairOn, forgetWaitingMany } from "./fairness";

export interface DispatchJob {
  id: string;
  userId: string;
  attempts: number;
  /** When the job's hold may expire; the worker lets the job wait out a database outage no longer than that. */
  expiresAt?: Date | null;
}

/** Each job's BullMQ priority under fair dispatch (undefined: fairness off, FIFO). */
export type Priorities = (number | undefined)[];

/**
 * Count jobs as waiting for their users (fair dispatch) and get their
 * priorities; with fairness off, none. Never rejects: should Redis fail here,
 * each job is queued as its user's first (the add most likely fails as well,
 * and the relay queues it again later). Bounded, so that with Redis away or
 * hung this adds little to the queue write's own bound (a submit answers
 * within 1 s).
 *
 * The group commit calls this while its statement runs, before it knows
 * which jobs the ledger admits, to take the count's round trip off the
 * answer's path; it then forgets the refused ones (forgetRefused). A job
 * counted a moment too early or left counted by a crash only orders the
 * queue (the reconciliation drops ids whose job is not queued).
 */
export function countWaiting(ctx: AppContext, jobs: DispatchJob[]): Promise<Priorities> {
  if (!fairOn(ctx) || jobs.length === 0) return Promise.resolve(jobs.map(() => undefined));
  const counted = ctx.redis.status === "ready" ? enqueuePriorities(ctx, jobs) : Promise.reject(new Error(`Redis is ${ctx.redis.status}`));
  return bounded(counted, Math.ceil(ctx.config.REDIS_COMMAND_TIMEOUT_MS / 2), "fair dispatch counters").catch((err: unknown): Priorities => {
    ctx.logger.warn({ err, count: jobs.length }, "fair dispatch counters unreachable");
    return jobs.map(() => 1);
  });
}

/** Jobs counted by countWaiting that were not admitted stop counting as waiting (best effort; never rejects). */
export async function forgetRefused(ctx: AppContext, counting: Promise<Priorities>, jobs: DispatchJob[]): Promise<void> {
  if (!fairOn(ctx) || jobs.length === 0) return;
  await counting;
  await forgetWaitingMany(ctx, jobs).catch((err: unknown) => ctx.logger.warn({ err, count: jobs.length }, "fair dispatch counters unreachable"));
}

/**
 * Queue jobs that are committed `queued`. Never throws: a failure is logged,
 * and the outbox relay dispatches them later. `priorities` are theirs from
 * countWaiting when the caller counted them already; otherwise they are
 * counted here.
 */
export async function dispatch(ctx: AppContext, jobs: DispatchJob[], priorities?: Priorities): Promise<void> {
  if (jobs.length === 0) return;
  const p = priorities ?? (await countWaiting(ctx, jobs));
  return addById(
    ctx.queues.jobs,
    jobs.map((j, i) => ({ id: j.id, data: { jobId: j.id, userId: j.userId, ...(j.expiresAt ? { holdExpiresAt: j.expiresAt.getTime() } : {}) }, attempts: j.attempts, priority: p[i] })),
    { name: "run", backoffMs: ctx.config.JOB_BACKOFF_MS, keepCompletedSeconds: 3600, logger: ctx.logger, what: "jobs" },
  );
}
