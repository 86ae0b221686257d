/**
 * GET /batches: the caller's batches, newest first, paginated like every
 * other list (?limit=&cursor= → { data, next_cursor }).
 *
 * An item is the batch without its `jobs` array: a batch holds up to
 * MAX_BATCH_JOBS full jobs (inputs and results included), so a page of 200
 * batches could carry 20,000 jobs. The counts and credit sums stay, computed
 * by one aggregate over the page's jobs; GET /batches/:id has the jobs, and
 * GET /jobs lists jobs (each with its `batch_id`).
 */
import { z } from "zod";
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import { toInt } from "../ledger/types";
import { decodeCursor, DEFAULT_LIMIT, MAX_LIMIT, type Page, toPage } from "../lib/pagination";
import type { BatchView } from "./batches";
import * as store from "./store";

export type BatchSummary = Omit<BatchView, "jobs">;

export const listBatchesQuery = z.object({
  status: z.enum(["active", "finished"]).optional().meta({ description: "`active`: some job is queued or running; `finished`: every job is final." }),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT).meta({ description: `Page size (default ${DEFAULT_LIMIT}, max ${MAX_LIMIT}).` }),
  cursor: z.string().max(500).optional().meta({ description: "`next_cursor` of the previous page." }),
});
export type ListBatchesQuery = z.infer<typeof listBatchesQuery>;

export async function listBatches(ctx: AppContext, user: User, q: ListBatchesQuery): Promise<Page<BatchSummary>> {
  const cursor = decodeCursor(q.cursor);
  const rows = await store.listBatches(ctx.ds, { userId: user.id, status: q.status, limit: q.limit + 1, before: cursor ?? undefined });
  const kept = rows.slice(0, q.limit);
  const totals = new Map((await store.batchTotals(ctx.ds, kept.map((r) => r.id))).map((t) => [t.batch_id, t]));
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), (r): BatchSummary => {
    const t = totals.get(r.id);
    const n = (v: string | undefined) => toInt(v ?? "0");
    const counts = { queued: n(t?.queued), running: n(t?.running), succeeded: n(t?.succeeded), failed: n(t?.failed), canceled: n(t?.canceled) };
    return {
      id: r.id,
      status: counts.queued + counts.running > 0 ? "active" : "finished",
      credit_type: r.credit_type,
      credits: { estimated: toInt(r.credits_estimated), held: n(t?.held), charged: n(t?.charged), refunded: n(t?.refunded) },
      counts,
      created_at: r.created_at.toISOString(),
    };
  });
}
