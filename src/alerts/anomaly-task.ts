/**
 * The spend-spike and estimate-drift detectors on a schedule: every
 * ALERT_CHECK_INTERVAL_MS (default 5 min). Like the ledger check, the task
 * ticks every minute and runs when the interval has passed since the last
 * run recorded in Redis (so the interval comes from the config).
 */
import type { ScheduledTask } from "../lib/scheduled-task";
import { detectEstimateDrift, detectSpendSpikes } from "./detectors";

export function anomalyTask(): ScheduledTask {
  return {
    name: "anomaly-alerts",
    everyMs: 60_000,
    async run(ctx, now) {
      const key = `${ctx.config.QUEUE_PREFIX}:anomaly-alerts:last`;
      const last = Number((await ctx.redis.get(key)) ?? 0);
      if (now.getTime() - last < ctx.config.ALERT_CHECK_INTERVAL_MS) return { skipped: 0 };
      const spikes = await detectSpendSpikes(ctx, now);
      const drifts = await detectEstimateDrift(ctx, now);
      await ctx.redis.set(key, String(now.getTime()));
      return { spend_spikes: spikes, estimate_drifts: drifts };
    },
  };
}
