/**
 * The job worker during a PostgreSQL outage (a restart, a crash, the network
 * cut): a job waits the outage out instead of spending its attempts on it.
 *
 * - At the claim nothing has run and nothing was written, so the job goes
 *   back to BullMQ's delayed set without using an attempt (as fair
 *   dispatch's USER_MAX_RUNNING does), for a growing, jittered wait — but
 *   never past its hold's deadline: near it the job takes the normal path
 *   (an attempt used; when they run out, failed and refunded).
 * - At the ending the work is done; a failure there would have BullMQ run
 *   the job again. So the ending is retried in place for a bounded time.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Job as BullJob, DelayedError } from "bullmq";
import type { AppContext } from "../context";
import { isDatabaseUnreachable } from "../lib/dependency-errors";
import type { JobRunData } from "../queues";

/**
 * The wait in ms after `waited` earlier waits: firstMs doubled each time, at
 * most maxMs, of which half is certain and half random ("equal jitter"), so
 * the jobs an outage held back do not all come back in the same moment.
 */
export function outageWaitMs(waited: number, firstMs: number, maxMs: number, random: () => number = Math.random): number {
  const full = Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(0, waited), 30));
  return Math.round(full / 2 + random() * (full / 2));
}

/**
 * The claim failed. PostgreSQL unreachable, and the hold's deadline not
 * near: the job waits in BullMQ's delayed set (no attempt used) and this
 * throws BullMQ's DelayedError. Otherwise the error is thrown again, and
 * BullMQ counts an attempt as for any failure.
 *
 * The deadline is the hold's expiry handed over with the job (dispatch);
 * for a job queued before that, the least a hold lives past its queueing
 * (HOLD_TTL_SECONDS). A job that waits stays "live" in BullMQ, so the
 * reaper never expires its hold meanwhile: this bound is what keeps the
 * credits from staying held past their promised expiry.
 *
 * Left: should the claim have committed with only its answer lost (the
 * connection cut in that instant), the job's row counts that attempt
 * although nothing ran; the next claim counts the next one.
 */
export async function deferClaim(ctx: AppContext, bull: BullJob<JobRunData>, token: string | undefined, err: unknown): Promise<never> {
  if (!isDatabaseUnreachable(err)) throw err;
  const { jobId } = bull.data;
  const waited = bull.data.outageWaits ?? 0;
  const now = ctx.clock.now().getTime();
  const deadline = bull.data.holdExpiresAt ?? bull.timestamp + ctx.config.HOLD_TTL_SECONDS * 1000;
  const wait = outageWaitMs(waited, ctx.config.JOB_OUTAGE_RETRY_MS, ctx.config.JOB_OUTAGE_RETRY_MAX_MS);
  const reason = err instanceof Error ? err.message : String(err);
  if (now + wait >= deadline) {
    ctx.logger.warn({ jobId, waited, err: reason, holdExpiresAt: new Date(deadline) }, "database unreachable at the claim and the job's hold expires soon: using an attempt");
    throw err;
  }
  await bull.updateData({ ...bull.data, outageWaits: waited + 1 });
  await bull.moveToDelayed(Date.now() + wait, token);
  ctx.logger.warn({ jobId, waited: waited + 1, waitMs: wait, err: reason }, "database unreachable at the claim: the job waits without using an attempt");
  throw new DelayedError(`job ${jobId} waits for the database`);
}

/**
 * Run `write` (a job's ending), retrying while PostgreSQL is unreachable,
 * for at most JOB_ENDING_RETRY_FOR_MS; then, or on any other error, or once
 * `stop` is aborted (the worker's close ran out of time), its last error is
 * thrown.
 *
 * Retrying is safe: an ending is fenced on the job's status and attempt and
 * its settlement id derives from the job id, so a try that committed with
 * only its answer lost makes the next one find the fence closed and change
 * nothing. While this waits the processor is still running, so BullMQ keeps
 * extending the job's lock (every WORKER_LOCK_DURATION_MS / 2, as long as
 * Redis answers) and no other worker takes the job.
 */
export async function retryWhileDatabaseDown<T>(ctx: AppContext, jobId: string, what: string, write: () => Promise<T>, stop: AbortSignal): Promise<T> {
  const started = Date.now();
  for (let waited = 0; ; waited++) {
    try {
      return await write();
    } catch (err) {
      const wait = outageWaitMs(waited, ctx.config.JOB_OUTAGE_RETRY_MS, ctx.config.JOB_OUTAGE_RETRY_MAX_MS);
      if (!isDatabaseUnreachable(err) || stop.aborted || Date.now() - started + wait > ctx.config.JOB_ENDING_RETRY_FOR_MS) throw err;
      ctx.logger.warn({ jobId, waited: waited + 1, waitMs: wait, err: err instanceof Error ? err.message : String(err) },
        `database unreachable: ${what} is tried again`);
      const aborted = await sleep(wait, false, { signal: stop }).catch(() => true);
      if (aborted) throw err;
    }
  }
}
