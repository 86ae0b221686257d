/**
 * Reconciliation with BullMQ: PostgreSQL says a job is live, but Redis no
 * longer has it (Redis restarted without its data, a key was deleted) or has
 * it as finished (the worker's own ending failed half-way). Nobody would
 * ever run or settle such a job, and its credits would stay held.
 *
 * Each such job is dispatched again when it has attempts left, otherwise
 * finished as a platform failure with a full refund. Both are fenced on the
 * status and attempt read here, so a worker that claims or ends the job in
 * the meantime wins and this round changes nothing for it.
 */
import type { AppContext } from "../../context";
import type { ScheduledTask } from "../../lib/scheduled-task";
import { type Keyset, readCursor, saveCursor } from "../../lib/task-cursor";
import { dispatch } from "../dispatch";
import { fairOn, reconcileFairness } from "../fairness";
import { endJob, type LiveJobRow, requeueLost, staleLiveJobs } from "../store";
import { clearFinished, queueStates } from "./queue-state";

export interface ReconcileOptions {
  /**
   * A job is looked at only when its row has not changed for this long, in ms
   * (default 60000), plus its own timeout when running: an honest worker ends
   * a run within its timeout, and a fresh job may still be on its way to Redis.
   */
  staleMs?: number;
  /** Rows read per page (default 500). */
  page?: number;
  /**
   * Most jobs looked at per round (default 10000). A round that stops there
   * saves its position (task_cursors) and the next round goes on from it, so
   * every live job is looked at, however long the backlog.
   */
  maxPerRound?: number;
}


export type ReconcileSummary = {
  checked: number;
  redispatched: number;
  refunded: number;
};

const CURSOR = "reconcile-queue";

export async function reconcileQueue(ctx: AppContext, now: Date, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const staleMs = opts.staleMs ?? 60_000;
  const page = opts.page ?? 500;
  const max = opts.maxPerRound ?? 10_000;
  const summary: ReconcileSummary = { checked: 0, redispatched: 0, refunded: 0 };
  const resumedFrom = await readCursor(ctx, CURSOR);
  let after: Keyset | null = resumedFrom;

  for (;;) {
    if (summary.checked >= max) {
      // Bounded round: the next one resumes here rather than at the head.
      await saveCursor(ctx, CURSOR, after);
      return summary;
    }
    const rows = await staleLiveJobs(ctx.ds, now, staleMs, after, page);
    if (rows.length === 0) break;
    summary.checked += rows.length;
    const last = rows[rows.length - 1]!;
    after = { createdAt: last.created_ts, id: last.id };

    const states = await queueStates(ctx, rows.map((r) => r.id));
    const redispatch: LiveJobRow[] = [];
    for (const r of rows) {
      const state = states.get(r.id);
      if (state === "live") continue;
      if (state === "finished" && !(await clearFinished(ctx, r.id))) continue; // locked by a worker after all: live
      if (r.attempt < r.max_attempts) {
        redispatch.push(r);
      } else if (await refund(ctx, r)) {
        summary.refunded++;
      }
    }
    if (redispatch.length > 0) {
      await requeueLost(ctx.ds, redispatch);
      await dispatch(ctx, redispatch.map((r) => ({ id: r.id, userId: r.user_id, attempts: r.max_attempts, expiresAt: r.hold_expires_at })));
      summary.redispatched += redispatch.length;
    }
    if (rows.length < page) break;
  }
  // Reached the end: the next round starts at the head again.
  if (resumedFrom !== null) await saveCursor(ctx, CURSOR, null);
  return summary;
}

async function refund(ctx: AppContext, r: LiveJobRow): Promise<boolean> {
  const done = await endJob(ctx, {
    jobId: r.id, attempt: r.attempt, from: [r.status], status: "failed", charge: 0, releaseType: "refund",
    error: { type: "system", message: `The queue lost this job after ${r.attempt} attempt(s); the hold was refunded.` },
  });
  return done !== null;
}

export function reconcileQueueTask(opts: ReconcileOptions & { everyMs?: number } = {}): ScheduledTask {
  return {
    name: "reconcile-queue",
    everyMs: opts.everyMs ?? 60_000,
    run: async (ctx, now) => {
      const summary = await reconcileQueue(ctx, now, opts);
      // Fair dispatch's counters, checked against the same truth (src/jobs/fairness.ts).
      if (fairOn(ctx)) await reconcileFairness(ctx);
      return summary;
    },
  };
}
