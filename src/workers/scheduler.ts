/**
 * The scheduler: periodic safety nets (outbox relay, reconciliation, hold
 * reaper, grant expiry, renewals …) run as BullMQ job schedulers on the
 * `maintenance` queue, and one Worker with concurrency 1 runs them.
 *
 * Only the scheduler process calls startScheduler (PM2 runs exactly one).
 * A second one of the same version by mistake is harmless, not wrong:
 * upserting a scheduler is idempotent, BullMQ hands each tick to one worker,
 * and every task is safe to run twice. (Two versions with different task
 * lists would remove each other's schedulers on start until one stops.)
 *
 * The job schedulers live in Redis. A Redis that restarts without its data
 * (or fails over to an empty replica) loses them, and with them every safety
 * net, although this process keeps running: so the scheduler looks for them
 * every few seconds and registers the missing ones again.
 */
import { type Job as BullJob, Worker } from "bullmq";
import type { AppContext } from "../context";
import { createRedis, QUEUE } from "../queues";
import type { ScheduledTask } from "../lib/scheduled-task";
import { closeWorker } from "./close";

export interface Scheduler {
  worker: Worker;
  /** Scheduler ids registered by this start (one per task). */
  registered: string[];
  /** Stop taking ticks; wait up to timeoutMs for a running task (a task is safe to cut short: it is re-run next tick). */
  close(timeoutMs?: number): Promise<void>;
}

export interface SchedulerOptions {
  /** How often to check that every job scheduler is still in Redis, in ms (default 5000). */
  watchEveryMs?: number;
}

export async function startScheduler(ctx: AppContext, tasks: ScheduledTask[], opts: SchedulerOptions = {}): Promise<Scheduler> {
  const byName = new Map<string, ScheduledTask>();
  for (const t of tasks) {
    if (byName.has(t.name)) throw new Error(`scheduled task "${t.name}" is listed twice`);
    if (!(t.everyMs >= 1000)) throw new Error(`scheduled task "${t.name}" runs every ${t.everyMs} ms; the minimum is 1000`);
    byName.set(t.name, t);
  }
  const queue = ctx.queues.maintenance;

  // Schedulers left behind by tasks that were renamed or removed would tick
  // forever into a worker that no longer knows them.
  for (const s of await queue.getJobSchedulers()) {
    if (!byName.has(s.key)) {
      await queue.removeJobScheduler(s.key);
      ctx.logger.info({ scheduler: s.key }, "removed the job scheduler of a task that no longer exists");
    }
  }
  const register = (t: ScheduledTask) =>
    queue.upsertJobScheduler(t.name, { every: t.everyMs }, {
      name: t.name,
      opts: {
        // A tick's history is its log line; keep a little in Redis for inspection.
        removeOnComplete: { count: 50 },
        removeOnFail: { count: 200, age: 7 * 24 * 3600 },
      },
    });
  for (const t of tasks) await register(t);

  // One ZCARD per round while all is well; the lost ones are upserted again.
  let watching: Promise<void> | null = null;
  const watch = async () => {
    if ((await queue.getJobSchedulersCount()) >= tasks.length) return;
    const present = new Set((await queue.getJobSchedulers()).map((s) => s.key));
    const lost = tasks.filter((t) => !present.has(t.name));
    for (const t of lost) await register(t);
    if (lost.length > 0) ctx.logger.warn({ tasks: lost.map((t) => t.name) }, "job schedulers were missing from Redis (restarted without its data?); registered them again");
  };
  const watchTimer = setInterval(() => {
    // Redis down: nothing to do until it is back; the next round retries.
    watching ??= watch().catch((err: unknown) => ctx.logger.debug({ err }, "could not check the job schedulers")).finally(() => (watching = null));
  }, opts.watchEveryMs ?? 5000);
  watchTimer.unref();

  const connection = createRedis(ctx.config.REDIS_URL);
  const worker = new Worker(QUEUE.maintenance, (job: BullJob) => runTick(ctx, byName, job), {
    connection,
    prefix: ctx.config.QUEUE_PREFIX,
    // One task at a time: tasks touch overlapping rows, and none is urgent.
    concurrency: 1,
  });
  worker.on("error", (err) => ctx.logger.error({ err }, "scheduler worker error"));
  worker.on("failed", (job, err) => ctx.logger.error({ err, task: job?.name }, "scheduled task failed; it runs again next tick"));
  ctx.logger.info({ tasks: tasks.map((t) => `${t.name}/${t.everyMs}ms`) }, "scheduler started");

  return {
    worker,
    registered: tasks.map((t) => t.name),
    async close(timeoutMs = ctx.config.SHUTDOWN_TIMEOUT_MS) {
      clearInterval(watchTimer);
      await watching;
      await closeWorker(worker, timeoutMs, () => ctx.logger.warn("shutdown timeout: a scheduled task is still running; it runs again next tick"));
      connection.disconnect();
    },
  };
}

async function runTick(ctx: AppContext, byName: Map<string, ScheduledTask>, job: BullJob): Promise<unknown> {
  const task = byName.get(job.name);
  if (!task) {
    // A tick queued before its task was removed; nothing to do.
    ctx.logger.warn({ task: job.name }, "tick for an unknown task ignored");
    return { ignored: true };
  }
  const started = Date.now();
  const summary = (await task.run(ctx, ctx.clock.now())) ?? {};
  const changed = Object.values(summary).some((n) => typeof n === "number" && n > 0);
  ctx.logger[changed ? "info" : "debug"]({ task: task.name, ms: Date.now() - started, ...summary }, "scheduled task ran");
  return summary;
}
