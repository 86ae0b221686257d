/**
 * The worker role: everything that consumes a queue. Paid jobs
 * (src/workers/job-runner.ts), Stripe webhook events (billing) and outgoing
 * mail. Each is a BullMQ Worker, so running N worker processes spreads all
 * three over them.
 */
import { scriptLimits } from "../../jobs/builtin";
import { reapOrphanedScripts } from "../../jobs/kinds/script/orphans";
import { missingProtections } from "../../jobs/kinds/script/sandbox";
import { startStripeEventWorker } from "../../workers/stripe-event-worker";
import { startMailWorker } from "../../workers/mail-worker";
import { startJobWorker } from "../../workers/job-runner";
import type { RoleStarter } from "../run";

export const workerRole: RoleStarter = {
  name: "worker",
  // A claim and a settlement per running job, plus progress writes and the
  // cancel poll; a few more for Stripe events and mail.
  poolSize: (config) => config.WORKER_CONCURRENCY + 10,
  // Nobody waits on a worker the way a client waits on a submission (see WORKER_NICE).
  nice: (config) => config.WORKER_NICE,
  async start(ctx) {
    // Scripts a dead worker left behind (it was SIGKILLed, or ran out of memory) are killed and
    // their directories removed before this one takes jobs (src/jobs/kinds/script/orphans.ts).
    const reaped = await reapOrphanedScripts(ctx.logger);
    if (reaped.runs > 0) ctx.logger.warn(reaped, "reaped script runs of dead workers");
    for (const m of missingProtections(scriptLimits(ctx.config))) ctx.logger.warn(m);
    const jobs = startJobWorker(ctx);
    const stripeEvents = startStripeEventWorker(ctx);
    const mail = startMailWorker(ctx);
    await Promise.all([jobs.worker.waitUntilReady(), stripeEvents.worker.waitUntilReady(), mail.worker.waitUntilReady()]);
    return {
      name: "worker",
      // All three drain at once within the same deadline; paid jobs are the ones that take long.
      close: async (timeoutMs) => {
        await Promise.all([jobs.close(timeoutMs), stripeEvents.close(timeoutMs), mail.close(timeoutMs)]);
      },
    };
  },
};
