/**
 * Hold reaper: the last safety net for credits. A hold carries an expiry far
 * past its job's longest possible life (every attempt's timeout, the backoff
 * and HOLD_TTL_SECONDS). A hold still pending after that whose job is not
 * live in BullMQ will never be settled by anyone else, so it is expired (the
 * user gets the credits back) and its job fails as a platform failure.
 *
 * A job BullMQ still has waiting or running keeps its hold: a long backlog
 * delays a job, it does not lose it, and its worker settles it normally.
 */
import { sql } from "../../db/sql";
import type { AppContext } from "../../context";
import { cursorTs } from "../../lib/pagination";
import { derivedId } from "../../lib/ids";
import * as ledger from "../../ledger";
import type { ScheduledTask } from "../../lib/scheduled-task";
import { correctCredits, endJob, lockJob } from "../store";
import { queueStates } from "./queue-state";

export interface ReaperOptions {
  /** Rows per page (default 500). */
  page?: number;
  /** Most expired holds looked at per round (default 5000), earliest expiry first. */
  maxPerRound?: number;
}

interface ExpiredHold {
  transfer_id: string;
  expires_ts: string;
  job_id: string | null;
  status: string | null;
  attempt: number | null;
}

export type ReaperSummary = {
  /** Jobs failed as lost, hold expired and refunded. */
  expired: number;
  /** Holds with no job (those of the holds API, POST /holds), expired; they then read `expired`. */
  orphans: number;
  /** Expired holds whose job is still waiting or running in BullMQ. */
  live: number;
};

export async function reapHolds(ctx: AppContext, now: Date, opts: ReaperOptions = {}): Promise<ReaperSummary> {
  const page = opts.page ?? 500;
  const max = opts.maxPerRound ?? 5000;
  const summary: ReaperSummary = { expired: 0, orphans: 0, live: 0 };
  let seen = 0;
  let after: { ts: string; id: string } | null = null;

  while (seen < max) {
    const rows: ExpiredHold[] = await sql(ctx.ds,
      `SELECT p.transfer_id, ${cursorTs("p.expires_at")} AS expires_ts, j.id AS job_id, j.status, j.attempt
         FROM ledger_pending p
         LEFT JOIN jobs j ON j.hold_transfer_id = p.transfer_id
        WHERE p.state = 'pending' AND p.expires_at < $1
          AND ($2::timestamptz IS NULL OR (p.expires_at, p.transfer_id) > ($2::timestamptz, $3::uuid))
        ORDER BY p.expires_at, p.transfer_id LIMIT $4`,
      [now, after?.ts ?? null, after?.id ?? null, page],
    );
    if (rows.length === 0) break;
    seen += rows.length;
    const last = rows[rows.length - 1]!;
    after = { ts: last.expires_ts, id: last.transfer_id };

    const withJob = rows.filter((r) => r.job_id !== null && (r.status === "queued" || r.status === "running"));
    const states = await queueStates(ctx, withJob.map((r) => r.job_id!));
    for (const r of rows) {
      if (r.job_id === null) {
        if (await expireOrphan(ctx, r.transfer_id)) summary.orphans++;
      } else if (r.status === "queued" || r.status === "running") {
        if (states.get(r.job_id) === "live") summary.live++;
        else if (await expireJob(ctx, r.job_id, r.status, r.attempt!)) summary.expired++;
      } else {
        // A final job with a pending hold cannot come from settleJob (both
        // commit together); should it ever happen, the credits must not stay stuck.
        ctx.logger.error({ jobId: r.job_id, status: r.status }, "final job still had a pending hold; expiring it");
        if (await expireFinalJobHold(ctx, r.job_id, r.transfer_id)) summary.expired++;
      }
    }
    if (rows.length < page) break;
  }
  return summary;
}

async function expireJob(ctx: AppContext, jobId: string, status: "queued" | "running", attempt: number): Promise<boolean> {
  const done = await endJob(ctx, {
    jobId, attempt, from: [status], status: "failed", charge: 0, releaseType: "refund", expire: true,
    error: { type: "system", message: "The job was lost by the platform and its hold expired; the credits were refunded." },
  });
  return done !== null;
}

/** A hold nobody owns (no job row): release it. The id derives from the hold, so a second round is a no-op. */
async function expireOrphan(ctx: AppContext, transferId: string): Promise<boolean> {
  const r = await ledger.expirePending(ctx.ds.manager, {
    id: derivedId(transferId, "expire"), pendingId: transferId, releaseType: "release", description: "Hold expired",
  });
  return r.status === "created";
}

async function expireFinalJobHold(ctx: AppContext, jobId: string, transferId: string): Promise<boolean> {
  return ctx.ds.transaction(async (m) => {
    await lockJob(m, jobId);
    // Same id settleJob would use: whichever resolution comes first wins, once.
    const r = await ledger.expirePending(m, {
      id: derivedId(jobId, "settle"), pendingId: transferId, releaseType: "refund", description: "Hold expired",
    });
    await correctCredits(m, jobId, r.posted, r.released);
    return r.status === "created";
  });
}

export function holdReaperTask(opts: ReaperOptions & { everyMs?: number } = {}): ScheduledTask {
  return { name: "hold-reaper", everyMs: opts.everyMs ?? 60_000, run: (ctx, now) => reapHolds(ctx, now, opts) };
}
