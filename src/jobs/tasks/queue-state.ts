/**
 * What BullMQ knows about jobs the database says are live. Shared by the
 * reconciliation and the hold reaper: both act only on jobs no worker will
 * ever pick up again.
 */
import type { AppContext } from "../../context";

/**
 * `live`: waiting, delayed, prioritized or active — a worker will (or does)
 * run it. `missing`: no trace (Redis lost it, or it was removed). `finished`:
 * BullMQ counts it completed or failed (or holds an orphan hash in no list),
 * so re-adding the same job id is a no-op until that entry is removed.
 */
export type QueueState = "live" | "missing" | "finished";

/** BullMQ state of each id, asked concurrently in chunks (ioredis pipelines them on one connection). */
export async function queueStates(ctx: AppContext, ids: string[], chunk = 200): Promise<Map<string, QueueState>> {
  const out = new Map<string, QueueState>();
  for (let i = 0; i < ids.length; i += chunk) {
    const part = ids.slice(i, i + chunk);
    const states = await Promise.all(part.map((id) => ctx.queues.jobs.getJobState(id)));
    const hashes = await Promise.all(
      part.map((id, k) => (states[k] === "unknown" ? ctx.redis.exists(ctx.queues.jobs.toKey(id)) : Promise.resolve(0))),
    );
    part.forEach((id, k) => {
      const s = states[k];
      out.set(id, s === "completed" || s === "failed" ? "finished" : s !== "unknown" ? "live" : hashes[k] ? "finished" : "missing");
    });
  }
  return out;
}

/**
 * Drop a finished/orphan BullMQ entry so the same job id can be added again.
 * False when BullMQ refuses (the job is locked by a worker after all).
 */
export async function clearFinished(ctx: AppContext, id: string): Promise<boolean> {
  return (await ctx.queues.jobs.remove(id)) === 1;
}
