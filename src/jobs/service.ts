/**
 * Jobs as the API sees them: estimate, submit (price → hold → queue), read,
 * list and cancel. Routes call these and nothing else.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { z } from "zod";
import type { AppContext } from "../context";
import { FINAL_STATUSES, type Job, JobEntity, type JobStatus } from "../entities/job";
import type { User } from "../entities/user";
import { claimIdempotencyKey, type Idempotency } from "../db/idempotency";
import { AppError, InvalidRequest, InvalidState, NotFound } from "../errors";
import { zodIssues } from "../lib/validation";
import { accountPaused, assertActive } from "../users/status";
import { UUID_RE } from "../lib/ids";
import { Batcher } from "../lib/batcher";
import { preparedRows } from "../db/prepared";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import * as ledger from "../ledger";
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";
import { cancelChannel, publishJobEvent } from "./events";
import type { Estimate, JobKind } from "./kind";
import { finishJob } from "./settlement";
import { type JobView, toJobView } from "./view";

export interface EstimateView extends Estimate {
  kind: string;
  credit_type: string;
}

interface Priced {
  kind: JobKind;
  input: unknown;
  estimate: Estimate;
  creditType: string;
}

/** Validate and price one `{ kind, input }`; nothing is held. */
export async function price(ctx: AppContext, userId: string, kindName: string, rawInput: unknown, path: (string | number)[] = []): Promise<Priced> {
  const kind = ctx.kinds.get(kindName);
  if (!kind) {
    throw new InvalidRequest(`Unknown job kind "${kindName}". Known kinds: ${ctx.kinds.names().join(", ")}.`, {
      issues: [{ path: [...path, "kind"].join("."), message: "unknown kind" }],
    });
  }
  const parsed = kind.input.safeParse(rawInput);
  if (!parsed.success) {
    throw new InvalidRequest(`The input does not fit the "${kindName}" kind.`, { issues: zodIssues(parsed.error, [...path, "input"]) });
  }
  // PostgreSQL's jsonb cannot store U+0000; refuse it here rather than fail at the database.
  if (containsNul(parsed.data)) {
    throw new InvalidRequest(`The input contains a NUL character (\\u0000), which jobs cannot store.`, {
      issues: [{ path: [...path, "input"].join("."), message: "contains \\u0000" }],
    });
  }
  const est = await kind.estimate(parsed.data, { userId, services: ctx.services });
  const credits = Math.max(1, Math.ceil(est.credits));
  return { kind, input: parsed.data, estimate: { credits, breakdown: est.breakdown }, creditType: kind.creditType ?? DEFAULT_CREDIT_TYPE };
}

/** Whether any string (value or key) anywhere in `v` contains U+0000. */
function containsNul(v: unknown): boolean {
  if (typeof v === "string") return v.includes("\0");
  if (Array.isArray(v)) return v.some(containsNul);
  if (v && typeof v === "object") return Object.entries(v).some(([k, x]) => k.includes("\0") || containsNul(x));
  return false;
}

export async function estimate(ctx: AppContext, user: User, kindName: string, input: unknown): Promise<EstimateView> {
  const p = await price(ctx, user.id, kindName, input);
  return { kind: kindName, credits: p.estimate.credits, credit_type: p.creditType, breakdown: p.estimate.breakdown };
}

export interface SubmitRequest {
  kind: string;
  input: unknown;
  max_credits?: number;
  /** Admin-only price override (the route checks the role). */
  credit_amount?: number;
}

/** Deadline after which the reaper may void a hold whose job is not live. */
export function holdExpiry(ctx: AppContext, kind: JobKind, input: unknown, attempts: number): Date {
  const runMs = kind.timeoutMs(input) * attempts + ctx.config.JOB_BACKOFF_MS * 2 ** attempts;
  return new Date(ctx.clock.now().getTime() + runMs + ctx.config.HOLD_TTL_SECONDS * 1000);
}

export interface Submitted {
  job: JobView;
  /** True when an Idempotency-Key replay returned an earlier job. */
  replayed: boolean;
}

/**
 * Price → one transaction (idempotency key, job row, hold) → commit → queue.
 * If the queue is unreachable the job is still accepted: it stays `queued`
 * and the scheduler's relay dispatches it.
 */
export async function submitJob(ctx: AppContext, user: User, req: SubmitRequest, idem?: Idempotency): Promise<Submitted> {
  assertActive(user);
  const p = await price(ctx, user.id, req.kind, req.input);
  const credits = req.credit_amount ?? p.estimate.credits;
  if (req.max_credits !== undefined && credits > req.max_credits) {
    throw new AppError("insufficient_credits", `This job is estimated at ${credits} credits, above max_credits ${req.max_credits}.`, {
      required: credits, available: req.max_credits, credit_type: p.creditType, max_credits: req.max_credits, reason: "max_credits",
    });
  }
  const jobId = randomUUID();
  const attempts = p.kind.maxAttempts ?? ctx.config.JOB_ATTEMPTS;
  const expiresAt = holdExpiry(ctx, p.kind, p.input, attempts);

  let createdAt = ctx.clock.now();
  let replayOf: string | null = null;
  if (!idem) {
    createdAt = await insertJobWithHold(ctx, {
      id: jobId, userId: user.id, kind: req.kind, input: p.input, creditType: p.creditType, credits, attempts,
      timeoutMs: p.kind.timeoutMs(p.input), expiresAt,
    });
  } else replayOf = await ctx.ds.transaction(async (m) => {
    const prior = await claimIdempotencyKey(m, user.id, "jobs", idem, jobId);
    if (prior) return prior;
    // Inserted only while the account is active in the database (not just when the request was
    // authenticated), so a pause committed before this statement refuses the job. RETURNING the
    // row's own created_at keeps this reply and every later read (or replay) of the job equal.
    const inserted: { created_at: Date }[] = await m.query(
      `INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts, timeout_ms)
       SELECT $1, $2, $3, $4, $5, $6, $1, $7, $8 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND credit_status = 'active')
       RETURNING created_at`,
      [jobId, user.id, req.kind, JSON.stringify(p.input), p.creditType, credits, attempts, p.kind.timeoutMs(p.input)],
    );
    if (!inserted[0]) throw accountPaused();
    createdAt = inserted[0].created_at;
    await ledger.holdOnAccount(m, {
      id: jobId, accountId: await accountIdFor(m, user.id, p.creditType), creditType: p.creditType,
      amount: credits, expiresAt, jobId, description: `Hold for ${req.kind} job`,
    });
    return null;
  });
  if (replayOf) return { job: await getJobView(ctx, user, replayOf), replayed: true };

  // An unkeyed submission was enqueued with its batch; a keyed one is enqueued here.
  if (idem) await enqueue(ctx, [{ id: jobId, attempts }]);
  const job: Job = {
    id: jobId, userId: user.id, batchId: null, kind: req.kind, status: "queued", progress: 0, input: p.input,
    creditType: p.creditType, creditsEstimated: String(credits), holdTransferId: jobId, creditsCharged: "0", creditsRefunded: "0",
    result: null, errorType: null, errorMessage: null, attempt: 0, maxAttempts: attempts, timeoutMs: p.kind.timeoutMs(p.input),
    enqueuedAt: null, cancelRequestedAt: null, createdAt, startedAt: null, finishedAt: null, updatedAt: createdAt,
  };
  return { job: toJobView(job), replayed: false };
}

/**
 * Admission without an Idempotency-Key. Submissions that arrive while an
 * earlier batch is being written are batched (see Batcher): ONE autocommitted
 * statement writes the batch's holds — each admitted or refused on its own,
 * in arrival order against its own account, as if sent one by one
 * (ledger_hold_each_many) — and the job rows of the admitted ones, only for
 * users whose account is active in the database (not just when the request
 * was authenticated), so a pause committed before the statement refuses
 * their jobs. Each account's row lock is taken once per batch and held only
 * for the server-side work and the commit. Then one queue call hands the
 * batch's jobs to BullMQ.
 */
async function insertJobWithHold(ctx: AppContext, j: Omit<NewJob, "accountId">): Promise<Date> {
  const accountId = await accountIdFor(ctx.ds.manager, j.userId, j.creditType);
  const admitted = await submitBatcher(ctx).run("submit", { ...j, accountId });
  // Answer once the job is in the queue (or the relay will put it there); the next batch need not wait for that.
  await admitted.enqueued;
  return admitted.createdAt;
}

interface Admitted {
  createdAt: Date;
  /** Settles when the batch's jobs were handed to BullMQ (never rejects: a failure is logged and left to the relay). */
  enqueued: Promise<void>;
}

interface NewJob {
  id: string;
  userId: string;
  accountId: string;
  kind: string;
  input: unknown;
  creditType: string;
  credits: number;
  attempts: number;
  timeoutMs: number;
  expiresAt: Date;
}

// One batcher per context (a process serves one context; tests may start several).
const submitBatchers = new WeakMap<AppContext, Batcher<"submit", NewJob, Admitted>>();
function submitBatcher(ctx: AppContext): Batcher<"submit", NewJob, Admitted> {
  let b = submitBatchers.get(ctx);
  if (!b) {
    b = new Batcher((_key, jobs) => submitJobs(ctx, jobs));
    submitBatchers.set(ctx, b);
  }
  return b;
}

async function submitJobs(ctx: AppContext, jobs: NewJob[]): Promise<(Admitted | Error)[]> {
  let rows: { id: string; status: string | null; available: string | null; created_at: Date | null }[];
  try {
    rows = await submitStatement(ctx, jobs);
  } catch (err) {
    // Nothing of the batch was written. Whatever one item did wrong must fail only that item: each goes alone.
    if (jobs.length === 1) throw err;
    return Promise.all(jobs.map((j) => submitJobs(ctx, [j]).then((r) => r[0]!, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
  }
  // PostgreSQL returns uuids in lower case.
  const byId = new Map(rows.map((r) => [r.id, r]));
  const outcomes = jobs.map((x): Date | Error => {
    const r = byId.get(x.id.toLowerCase());
    // No hold at all: the account is paused (or its user gone); nothing was held.
    if (!r?.status) return accountPaused();
    const o = ledger.holdEachOutcome({ id: r.id, status: r.status, available: r.available }, x.credits, x.creditType);
    if (o.status === "created" && r.created_at) return r.created_at;
    if ("error" in o) return o.error;
    return new Error(`job ${x.id}: hold ${o.status} without a job row`);
  });
  const enqueued = enqueue(ctx, jobs.filter((_, i) => outcomes[i] instanceof Date).map((x) => ({ id: x.id, attempts: x.attempts })));
  return outcomes.map((o) => (o instanceof Date ? { createdAt: o, enqueued } : o));
}

function submitStatement(ctx: AppContext, jobs: NewJob[]) {
  return preparedRows<{ id: string; status: string | null; available: string | null; created_at: Date | null }>(
    ctx.ds,
    "holdfast_submit_jobs",
    `WITH t AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::timestamptz[], $6::text[], $7::text[],
                            $8::jsonb[], $9::int[], $10::int[])
         WITH ORDINALITY AS t (id, user_id, account_id, credits, expires_at, kind, credit_type, input, attempts, timeout_ms, ord)
     ),
     act AS (SELECT t.* FROM t WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.credit_status = 'active')),
     h AS (
       SELECT h.* FROM ledger_hold_each_many(
         (SELECT array_agg(a.id ORDER BY a.ord) FROM act a), (SELECT array_agg(a.account_id ORDER BY a.ord) FROM act a),
         (SELECT array_agg(a.credits ORDER BY a.ord) FROM act a), (SELECT array_agg(a.expires_at ORDER BY a.ord) FROM act a),
         (SELECT array_agg(a.id ORDER BY a.ord) FROM act a), (SELECT array_agg('Hold for ' || a.kind || ' job' ORDER BY a.ord) FROM act a)) AS h
     ),
     j AS (
       INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts, timeout_ms)
       SELECT t.id, t.user_id, t.kind, t.input, t.credit_type, t.credits, t.id, t.attempts, t.timeout_ms
         FROM t JOIN h ON h.id = t.id AND h.status = 'created'
       RETURNING jobs.id, jobs.created_at
     )
     SELECT t.id, h.status, h.available, j.created_at FROM t LEFT JOIN h ON h.id = t.id LEFT JOIN j ON j.id = t.id`,
    [jobs.map((x) => x.id), jobs.map((x) => x.userId), jobs.map((x) => x.accountId), jobs.map((x) => x.credits),
      jobs.map((x) => x.expiresAt), jobs.map((x) => x.kind), jobs.map((x) => x.creditType), jobs.map((x) => JSON.stringify(x.input)),
      jobs.map((x) => x.attempts), jobs.map((x) => x.timeoutMs)],
  );
}

// Account ids never change once created; caching them saves a round trip on
// the hot path. Keyed by user id (a UUID), so one cache serves every context.
const accountIds = new Map<string, string>();
async function accountIdFor(m: EntityManager, userId: string, creditType: string): Promise<string> {
  const k = `${userId}:${creditType}`;
  const cached = accountIds.get(k);
  if (cached) return cached;
  const existing = await ledger.findUserAccountId(m, userId, creditType);
  if (existing) {
    if (accountIds.size > 100_000) accountIds.clear();
    accountIds.set(k, existing);
    return existing;
  }
  // Created inside the caller's transaction, which may roll back (a new account
  // holds nothing, so the hold is a 402): never cache an id that might not be committed.
  return ledger.userAccountId(m, userId, creditType);
}

/** Hand jobs to BullMQ (job id = jobs.id, so adding twice is a no-op). Failures are logged: the relay retries. */
export async function enqueue(ctx: AppContext, jobs: { id: string; attempts: number }[]): Promise<void> {
  const entry = (j: { id: string; attempts: number }) => ({
    name: "run",
    data: { jobId: j.id },
    opts: {
      jobId: j.id,
      attempts: j.attempts,
      backoff: { type: "exponential", delay: ctx.config.JOB_BACKOFF_MS },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
  });
  try {
    if (jobs.length === 1) {
      // One job (every submit): add is one script call; addBulk wraps it in MULTI/EXEC (measured: 2x the client CPU).
      const e = entry(jobs[0]!);
      await ctx.queues.jobs.add(e.name, e.data, e.opts);
    } else if (jobs.length > 1) {
      await ctx.queues.jobs.addBulk(jobs.map(entry));
    }
  } catch (err) {
    ctx.logger.warn({ err, jobs: jobs.length }, "queue unreachable; the relay will dispatch these jobs");
  }
}

async function loadOwned(ctx: AppContext, user: User, id: string): Promise<Job> {
  if (!UUID_RE.test(id)) throw new NotFound("Job");
  const job = await ctx.ds.getRepository(JobEntity).findOneBy({ id });
  // Another user's job is indistinguishable from a missing one.
  if (!job || (job.userId !== user.id && user.role !== "admin")) throw new NotFound("Job");
  return job;
}

export async function getJobView(ctx: AppContext, user: User, id: string): Promise<JobView> {
  return toJobView(await loadOwned(ctx, user, id));
}

export const listQuery = z.object({
  status: z.enum(["queued", "running", "succeeded", "failed", "canceled"]).optional(),
  kind: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});
export type ListQuery = z.infer<typeof listQuery>;

export async function listJobs(ctx: AppContext, user: User, q: ListQuery): Promise<Page<JobView>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [user.id, q.limit + 1];
  let where = `user_id = $1`;
  if (q.status) where += ` AND status = $${params.push(q.status)}`;
  if (q.kind) where += ` AND kind = $${params.push(q.kind)}`;
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  const ids: { id: string; cursor_ts: string }[] = await ctx.ds.query(
    `SELECT id, ${cursorTs("created_at")} AS cursor_ts FROM jobs WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
    params,
  );
  const jobs = ids.length ? await ctx.ds.getRepository(JobEntity).findBy(ids.map((r) => ({ id: r.id }))) : [];
  const byId = new Map(jobs.map((j) => [j.id, j]));
  return toPage(ids, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), (r) => toJobView(byId.get(r.id)!));
}

/**
 * Cancel: a queued job is finished at once and its hold released; a running
 * job is asked to stop (the worker aborts it, then releases the hold); a
 * finished job is a 409. Waits briefly for a running job to wind down.
 */
export async function cancelJob(ctx: AppContext, user: User, id: string, waitMs = 5000): Promise<JobView> {
  const job = await loadOwned(ctx, user, id);
  if (FINAL_STATUSES.includes(job.status)) {
    throw new InvalidState(`The job is already ${job.status}.`, { status: job.status });
  }
  const done = await finishJob(ctx.ds, {
    jobId: id, attempt: null, from: ["queued"], status: "canceled", charge: 0, releaseType: "release",
  });
  if (done) {
    publishJobEvent(ctx.redis, ctx.config.QUEUE_PREFIX, { type: "status", job_id: id, status: "canceled" });
    await ctx.queues.jobs.remove(id).catch(() => 0);
    return toJobView(done);
  }
  // Running (or just claimed): ask its worker to abort.
  await ctx.ds.query(`UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, now()) WHERE id = $1 AND status = 'running'`, [id]);
  await ctx.redis.publish(cancelChannel(ctx.config.QUEUE_PREFIX), id).catch(() => 0);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = await ctx.ds.getRepository(JobEntity).findOneByOrFail({ id });
    if (FINAL_STATUSES.includes(now.status) || Date.now() > deadline) {
      if (now.status === "succeeded" || now.status === "failed") {
        throw new InvalidState(`The job ${now.status} before it could be cancelled.`, { status: now.status });
      }
      return toJobView(now);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

