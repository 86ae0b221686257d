/**
 * Bounded growth: what Holdfast keeps only for a while.
 *  - idempotency_keys older than IDEMPOTENCY_KEY_TTL_HOURS (24 h, like Stripe):
 *    a replay after that is a new request;
 *  - stripe_events payloads of processed events after STRIPE_EVENT_RETENTION_DAYS
 *    (the id row stays, so a redelivered event is still recognised);
 *  - notifications sent or failed more than NOTIFICATION_RETENTION_DAYS ago;
 *  - the input and result of jobs finished more than JOB_RETENTION_DAYS ago
 *    (credits, status and times stay; the API shows `pruned_at`);
 *  - half-written uploads (`*.part-*` under STORAGE_DIR) older than an hour,
 *    left by a crash mid-write (no key names them, nothing else removes them).
 * Each table is pruned in batches of `batch` rows (short statements, short
 * locks) up to `maxBatches` per round; the rest goes next round.
 */
import { readdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { AppContext } from "../context";
import type { ScheduledTask } from "../lib/scheduled-task";

export interface PruneOptions {
  /** Rows per statement (default 1000). */
  batch?: number;
  /** Statements per table per round (default 20). */
  maxBatches?: number;
  /** Age in ms past which a `.part-` file is a leftover (default 3600000: an upload may take long). */
  partialUploadAgeMs?: number;
}

export interface PruneSummary {
  idempotency_keys: number;
  stripe_event_payloads: number;
  notifications: number;
  job_payloads: number;
  partial_uploads: number;
}

const DAY_MS = 86_400_000;

export async function prune(ctx: AppContext, now: Date, opts: PruneOptions = {}): Promise<PruneSummary> {
  const c = ctx.config;
  const batch = opts.batch ?? 1000;
  const maxBatches = opts.maxBatches ?? 20;
  const before = (ms: number) => new Date(now.getTime() - ms);

  /** Run `sql` ($1 = cutoff, $2 = batch) until it touches fewer than a batch of rows, or the round's bound. */
  const inBatches = async (sql: string, cutoff: Date): Promise<number> => {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const rows: unknown[] = await ctx.ds.query(sql, [cutoff, batch]);
      // TypeORM returns [rows, count] for UPDATE/DELETE … RETURNING on postgres.
      const n = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : rows.length;
      total += n;
      if (n < batch) break;
    }
    return total;
  };

  const summary: PruneSummary = { idempotency_keys: 0, stripe_event_payloads: 0, notifications: 0, job_payloads: 0, partial_uploads: 0 };
  summary.idempotency_keys = await inBatches(
    `DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE created_at < $1 LIMIT $2) RETURNING 1`,
    before(c.IDEMPOTENCY_KEY_TTL_HOURS * 3600_000),
  );
  summary.stripe_event_payloads = await inBatches(
    `UPDATE stripe_events SET payload = NULL WHERE id IN (
       SELECT id FROM stripe_events WHERE payload IS NOT NULL AND processed_at IS NOT NULL AND processed_at < $1 LIMIT $2) RETURNING 1`,
    before(c.STRIPE_EVENT_RETENTION_DAYS * DAY_MS),
  );
  summary.notifications = await inBatches(
    `DELETE FROM notifications WHERE id IN (
       SELECT id FROM notifications WHERE status IN ('sent', 'failed') AND created_at < $1 LIMIT $2) RETURNING 1`,
    before(c.NOTIFICATION_RETENTION_DAYS * DAY_MS),
  );
  if (c.JOB_RETENTION_DAYS > 0) {
    summary.job_payloads = await inBatches(
      `UPDATE jobs SET input = 'null'::jsonb, result = NULL, pruned_at = now() WHERE id IN (
         SELECT id FROM jobs WHERE pruned_at IS NULL AND finished_at IS NOT NULL AND finished_at < $1
            AND status IN ('succeeded', 'failed', 'canceled') LIMIT $2) RETURNING 1`,
      before(c.JOB_RETENTION_DAYS * DAY_MS),
    );
  }
  summary.partial_uploads = await removePartials(path.resolve(c.STORAGE_DIR), now.getTime() - (opts.partialUploadAgeMs ?? 3600_000));
  return summary;
}

/** Remove `*.part-*` files last written before `cutoffMs` anywhere under `dir`. */
async function removePartials(dir: string, cutoffMs: number): Promise<number> {
  let removed = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0; // no storage folder yet
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) removed += await removePartials(p, cutoffMs);
    else if (e.isFile() && e.name.includes(".part-")) {
      const s = await stat(p).catch(() => null);
      if (s && s.mtimeMs < cutoffMs && (await unlink(p).then(() => true, () => false))) removed++;
    }
  }
  return removed;
}

export function pruneTask(opts: PruneOptions & { everyMs?: number } = {}): ScheduledTask {
  return { name: "prune", everyMs: opts.everyMs ?? 3600_000, run: (ctx, now) => prune(ctx, now, opts) };
}
