/**
 * How every cancel stops jobs — one job (POST /jobs/:id/cancel) or a whole
 * batch (POST /batches/:id/cancel) — so a job ends the same way whichever
 * route cancelled it.
 *
 * A queued job is finished `canceled` at once with its whole hold released,
 * by the store's fenced ending (from `queued` only, any attempt): a worker
 * claiming it, the reaper or a second cancel racing this one — each also
 * fenced — let exactly one party finish it, and the release's transfer id
 * derives from the job id, so nothing is released twice. A job already
 * claimed is asked to abort instead (`cancel_requested_at`, plus pub/sub for
 * speed): its worker ends it `canceled`, charging nothing, under its own
 * attempt's fence; if the run finished first, the run's ending stands.
 */
import type { AppContext } from "../context";
import { FINAL_STATUSES, type JobStatus } from "../entities/job";
import { cancelChannel } from "./events";
import { fairOn, forgetWaiting } from "./fairness";
import * as store from "./store";

export interface Stoppable {
  id: string;
  /** The job's owner (fair dispatch keeps waiting jobs per user). */
  userId: string;
}

/**
 * Stop jobs that were not final when read: the queued ones in one fenced
 * statement, the rest asked to abort. Returns the jobs asked to abort (their
 * endings are the workers'). A ledger refusal is thrown after every other
 * job was handled.
 */
export async function stopJobs(ctx: AppContext, jobs: Stoppable[]): Promise<Stoppable[]> {
  if (jobs.length === 0) return [];
  const ended = await store.endJobs(ctx, ["queued"], jobs.map((j) => ({
    jobId: j.id, attempt: null, status: "canceled" as const, charge: 0, releaseType: "release" as const,
  })));
  const released = jobs.filter((_, i) => ended[i] && !(ended[i] instanceof Error));
  // Out of the queue and fair dispatch's waiting set, so no worker takes them up (were one to, its claim skips a final job).
  await Promise.all(released.flatMap((j) => [
    ctx.queues.jobs.remove(j.id).catch(() => 0),
    fairOn(ctx) ? forgetWaiting(ctx, j.userId, j.id).catch(() => undefined) : undefined,
  ]));
  // The fence did not match: running (or claimed a moment ago), or already final (then the request changes nothing).
  const asked = jobs.filter((_, i) => ended[i] === null);
  if (asked.length) {
    await store.requestCancel(ctx.ds, asked.map((j) => j.id));
    const channel = cancelChannel(ctx.config.QUEUE_PREFIX);
    await Promise.all(asked.map((j) => ctx.redis.publish(channel, j.id).catch(() => 0)));
  }
  const refused = ended.find((e): e is Error => e instanceof Error);
  if (refused) throw refused;
  return asked;
}

/**
 * Wait up to `waitMs` for jobs asked to abort to be final. One that is
 * `queued` again meanwhile (its run failed on the platform's side before the
 * abort reached it, and it waits for a retry, where the request on a running
 * row would not have been seen) is stopped again, or that retry would run it.
 */
export async function untilStopped(ctx: AppContext, jobs: Stoppable[], waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  let open = jobs;
  for (;;) {
    const statuses = await store.jobStatuses(ctx.ds, open.map((j) => j.id));
    const requeued = open.filter((j) => statuses.get(j.id) === "queued");
    if (requeued.length) await stopJobs(ctx, requeued);
    open = open.filter((j) => !FINAL_STATUSES.includes(statuses.get(j.id) as JobStatus));
    if (open.length === 0 || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
