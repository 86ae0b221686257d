/**
 * Batches: many jobs admitted all or nothing. Every item is validated and
 * priced first (400 listing every bad item, nothing held); then one
 * transaction writes the batch, its jobs and their holds, with one check of
 * the total (ledger_hold_many) — not affordable → 402 and nothing exists.
 * After that each job is an ordinary job: it settles or refunds its own hold.
 *
 * One credit type per batch: a batch is one admission check on one account.
 * Every built-in kind spends `standard`; a batch mixing types is a 400.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { AppContext } from "../context";
import { type Batch, BatchEntity } from "../entities/batch";
import { FINAL_STATUSES, type JobStatus } from "../entities/job";
import type { User } from "../entities/user";
import { AppError, InvalidRequest, NotFound } from "../errors";
import { askAgain, isDependencyDown } from "../lib/dependency-errors";
import { UUID_RE } from "../lib/ids";
import { toInt } from "../ledger/types";
import { claimIdempotencyKey, type Idempotency } from "../db/idempotency";
import { assertActive } from "../users/status";
import type { JobAdmission } from "./admission";
import { dispatch } from "./dispatch";
import { type Quote, quote } from "./quote";
import { findJobs } from "./store";
import { type JobView, toJobView } from "./view";

/** Most jobs in one batch. */
export const MAX_BATCH_JOBS = 100;

export const batchBody = z
  .object({
    jobs: z
      .array(z.object({ kind: z.string().min(1).max(100), input: z.unknown() }).strict())
      .min(1, "a batch needs at least one job")
      .max(MAX_BATCH_JOBS, `at most ${MAX_BATCH_JOBS} jobs per batch`),
  })
  .strict();
export type BatchRequest = z.infer<typeof batchBody>;

export interface BatchView {
  id: string;
  /** `active` while any job is queued or running, then `finished`. */
  status: "active" | "finished";
  credit_type: string;
  /** Sums over the batch's jobs (same meaning as a job's credits). */
  credits: { estimated: number; held: number; charged: number; refunded: number };
  counts: Record<JobStatus, number>;
  jobs: JobView[];
  created_at: string;
}

type Issue = { path: string; message: string };

/** Issues of item i, every path under `jobs.<i>.` (estimators name paths from `input.`). */
function itemIssues(err: InvalidRequest, i: number): Issue[] {
  const prefix = `jobs.${i}`;
  const raw = (err.details.issues as Issue[] | undefined) ?? [{ path: "", message: err.message }];
  return raw.map((x) => ({ path: x.path.startsWith(`${prefix}.`) ? x.path : [prefix, x.path].filter(Boolean).join("."), message: x.message }));
}

async function quoteAll(ctx: AppContext, user: User, req: BatchRequest): Promise<Quote[]> {
  const priced: Quote[] = [];
  const issues: Issue[] = [];
  for (const [i, item] of req.jobs.entries()) {
    try {
      priced.push(await quote(ctx, user.id, item.kind, item.input, ["jobs", i]));
    } catch (err) {
      if (!(err instanceof InvalidRequest)) throw err;
      issues.push(...itemIssues(err, i));
    }
  }
  if (issues.length) throw new InvalidRequest("Some jobs of the batch are not valid; nothing was submitted.", { issues });
  const types = [...new Set(priced.map((p) => p.creditType))];
  if (types.length > 1) {
    throw new InvalidRequest(`A batch spends one credit type, but these jobs spend ${types.join(" and ")}; submit them as separate batches.`, {
      issues: [{ path: "jobs", message: "mixed credit types" }],
    });
  }
  return priced;
}

export async function createBatch(
  ctx: AppContext, admission: JobAdmission, user: User, req: BatchRequest, idem?: Idempotency,
): Promise<{ batch: BatchView; replayed: boolean }> {
  assertActive(user);
  const quotes = await quoteAll(ctx, user, req);
  const batchId = randomUUID();
  const creditType = quotes[0]!.creditType;
  const total = quotes.reduce((s, q) => s + q.estimate.credits, 0);

  const jobs = await admission.prepare(user, quotes, batchId);
  const out = await ctx.ds.transaction(async (m): Promise<{ prior?: string }> => {
    if (idem) {
      const prior = await claimIdempotencyKey(m, user.id, "batches", idem, batchId);
      if (prior) return { prior };
    }
    // The batch row first (its jobs reference it); admission refuses a paused
    // account or a short balance, and the whole transaction rolls back.
    await m.getRepository(BatchEntity).insert({ id: batchId, userId: user.id, creditType, creditsEstimated: String(total), jobIds: jobs.map((j) => j.id) });
    await admission.admitAll(m, jobs);
    return {};
  }).catch((err: unknown) => afterLostCommit(ctx, batchId, err));
  if (out.prior) return { batch: await getBatchView(ctx, user, out.prior), replayed: true };

  await dispatch(ctx, jobs);
  return { batch: await getBatchView(ctx, user, batchId), replayed: false };
}

/**
 * The connection died with the transaction's COMMIT in flight: it may have
 * committed with only its answer lost (see JobAdmission.afterLostConnection
 * for the unkeyed submit). The batch row says which: there → go on as
 * committed (dispatch; the relay would too); not there → the 503 is true;
 * cannot ask → a 503 that names the batch, so a client without an
 * Idempotency-Key can look before submitting again.
 */
async function afterLostCommit(ctx: AppContext, batchId: string, err: unknown): Promise<{ prior?: string }> {
  if (!isDependencyDown(err)) throw err;
  const found = await askAgain(() => ctx.ds.getRepository(BatchEntity).existsBy({ id: batchId }));
  if (found) return {};
  if (found === false) throw err;
  throw new AppError("unavailable",
    `The database connection was lost while batch ${batchId} was being committed, and it cannot be asked yet whether it was accepted. ` +
    `Check GET /api/v1/batches/${batchId} before submitting it again (an Idempotency-Key makes a retry safe).`,
    { batch_id: batchId }, { cause: err });
}

/** The batch if the user may see it: its owner, or an admin (like a job). */
export async function loadBatch(ctx: AppContext, user: User, id: string): Promise<Batch> {
  if (!UUID_RE.test(id)) throw new NotFound("Batch");
  const batch: Batch | null = await ctx.ds.getRepository(BatchEntity).findOneBy({ id });
  // Another user's batch is indistinguishable from a missing one.
  if (!batch || (batch.userId !== user.id && user.role !== "admin")) throw new NotFound("Batch");
  return batch;
}

export async function getBatchView(ctx: AppContext, user: User, id: string): Promise<BatchView> {
  const batch = await loadBatch(ctx, user, id);
  const rows = await findJobs(ctx.ds, batch.jobIds);
  const byId = new Map(rows.map((j) => [j.id, toJobView(j)]));
  const jobs = batch.jobIds.map((jid) => byId.get(jid)!).filter(Boolean);
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
  const credits = { estimated: 0, held: 0, charged: 0, refunded: 0 };
  for (const j of jobs) {
    counts[j.status]++;
    credits.estimated += j.credits.estimated;
    credits.held += j.credits.held;
    credits.charged += j.credits.charged;
    credits.refunded += j.credits.refunded;
  }
  return {
    id: batch.id,
    status: jobs.every((j) => FINAL_STATUSES.includes(j.status)) ? "finished" : "active",
    credit_type: batch.creditType,
    credits: { ...credits, estimated: toInt(batch.creditsEstimated) },
    counts,
    jobs,
    created_at: batch.createdAt.toISOString(),
  };
}
