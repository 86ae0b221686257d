/**
 * The jobs store: every statement on the `jobs` table lives here — insert
 * (with the holds, see `insertJobs`), claim, progress, requeue, cancel
 * request, settle/refund — and so does the status event a job's ending
 * publishes. The worker and the services orchestrate; they write no SQL.
 *
 * Fencing, the rule every ending follows: the job row is updated only if it
 * is still in an expected status (and, for a worker, still at the attempt its
 * claim returned), so a stale worker, the reaper and a cancel can race freely
 * and exactly one of them finishes the job; the hold's settlement id derives
 * from the job id, so even a retry of the winner cannot charge twice.
 */
import type { AppContext } from "../context";
import { NO_DEBT } from "../credits/debts";
import { type Db, sql } from "../db/sql";
import { type Job, JobEntity, type JobStatus } from "../entities/job";
import { derivedId } from "../lib/ids";
import { cursorTs } from "../lib/pagination";
import { type Admission, holdsPlan, settlementsPlan } from "../ledger/plans";
import { toInt } from "../ledger/types";

// ---------------------------------------------------------------- admission

export interface NewJob {
  id: string;
  userId: string;
  /** The user's ledger account for the job's credit type. */
  accountId: string;
  kind: string;
  input: unknown;
  creditType: string;
  credits: number;
  attempts: number;
  timeoutMs: number;
  /** When the reaper may void the hold if the job is not live. */
  expiresAt: Date;
  /** The user-facing batch the job belongs to, if any. */
  batchId: string | null;
  /** The hold's description in the user's history. */
  description: string;
}

/**
 * One row per job given: its hold's outcome (null: nothing held, the account is not active or owes a debt)
 * and, when admitted, the row's created_at; for a job refused before the ledger, the user's outstanding
 * debt (null when the account is paused), available balance and why it is paused.
 */
export interface InsertedRow {
  id: string;
  status: string | null;
  available: string | null;
  created_at: Date | null;
  debt: string | null;
  balance: string | null;
  pause_reason: string | null;
}

/**
 * Insert jobs together with their holds in ONE statement: the ledger admits
 * the holds (`mode`: each on its own, or all or nothing — see holdsPlan), and
 * only the admitted jobs get a row. Holds and rows are written only for users
 * whose account is active in the database (not just when the request was
 * authenticated), so a pause committed before this statement refuses their
 * jobs. Autocommitted on the data source, or inside the caller's transaction.
 */
export function insertJobs(m: Db, jobs: NewJob[], mode: Admission): Promise<InsertedRow[]> {
  return sql<InsertedRow>(
    m,
    `WITH t AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::timestamptz[], $6::text[], $7::text[],
                            $8::jsonb[], $9::int[], $10::int[], $11::uuid[], $12::text[])
         WITH ORDINALITY AS t (id, user_id, account_id, credits, expires_at, kind, credit_type, input, attempts, timeout_ms, batch_id,
                               description, ord)
     ),
     act AS (SELECT t.*, t.id AS job_id FROM t WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.credit_status = 'active')
                                                 AND ${NO_DEBT("t.user_id")}),
     h AS (${holdsPlan(mode, "act")}),
     j AS (
       INSERT INTO jobs (id, user_id, batch_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts, timeout_ms)
       SELECT t.id, t.user_id, t.batch_id, t.kind, t.input, t.credit_type, t.credits, t.id, t.attempts, t.timeout_ms
         FROM t JOIN h ON h.id = t.id AND h.status = 'created'
       RETURNING jobs.id, jobs.created_at
     )
     SELECT t.id, h.status, h.available, j.created_at,
            -- Refused before the ledger (no hold): what an active user owes, so the refusal can say so.
            CASE WHEN h.id IS NULL AND EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.credit_status = 'active') THEN
              (SELECT sum(d.amount - d.repaid - d.forgiven) FROM credit_debts d WHERE d.user_id = t.user_id AND d.repaid + d.forgiven < d.amount)
            END AS debt,
            CASE WHEN h.id IS NULL THEN (SELECT a.credits_posted - a.debits_posted - a.debits_pending FROM ledger_accounts a WHERE a.id = t.account_id) END AS balance,
            CASE WHEN h.id IS NULL THEN (SELECT u.pause_reason FROM users u WHERE u.id = t.user_id) END AS pause_reason
       FROM t LEFT JOIN h ON h.id = t.id LEFT JOIN j ON j.id = t.id`,
    [jobs.map((x) => x.id), jobs.map((x) => x.userId), jobs.map((x) => x.accountId), jobs.map((x) => x.credits),
      jobs.map((x) => x.expiresAt), jobs.map((x) => x.kind), jobs.map((x) => x.creditType), jobs.map((x) => JSON.stringify(x.input)),
      jobs.map((x) => x.attempts), jobs.map((x) => x.timeoutMs), jobs.map((x) => x.batchId), jobs.map((x) => x.description)],
    `holdfast_insert_jobs_${mode}`,
  );
}

/** Which of these jobs exist, with their rows' created_at (after a connection died with their statement in flight). */
export function admittedJobs(m: Db, ids: string[]): Promise<{ id: string; created_at: Date }[]> {
  return sql(m, `SELECT id, created_at FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
}

// ---------------------------------------------------------------- the worker's statements

export interface Claimed {
  id: string;
  attempt: number;
  max_attempts: number;
  kind: string;
  input: unknown;
  user_id: string;
  credits_estimated: string;
  cancel_requested_at: Date | null;
}

/**
 * The fenced claim: the next attempt of each job that is not final yet.
 *
 * Committed without waiting for the disk (synchronous_commit off for this
 * statement only): a claim moves no credit, and WAL is written in order, so
 * the job's settlement — which waits for the disk as every ledger write
 * does — makes its claim durable too. Only a database crash within a moment
 * of a claim can lose one, and that is a claim that never happened: the
 * job is `queued` again, this run's settlement finds no claim of its attempt
 * and changes nothing, and the queue's retry (or the reaper) ends the job
 * exactly as after a worker crash. It spares one disk flush per claim
 * batch, which submissions wait behind.
 */
export async function claimJobs(m: Db, jobIds: string[]): Promise<Map<string, Claimed>> {
  const rows = await sql<Claimed>(
    m,
    `UPDATE jobs SET status = 'running', attempt = attempt + 1, started_at = coalesce(started_at, now()),
            enqueued_at = coalesce(enqueued_at, now()), updated_at = now()
       FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
      WHERE id = ANY ($1::uuid[]) AND status IN ('queued', 'running')
      RETURNING id, attempt, max_attempts, kind, input, user_id, credits_estimated, cancel_requested_at`,
    [jobIds],
    "holdfast_claim_jobs",
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Progress of a running attempt (fenced: a stale attempt writes nothing). */
export async function writeProgress(m: Db, jobId: string, attempt: number, progress: number): Promise<void> {
  await sql(m, `UPDATE jobs SET progress = $3, updated_at = now() WHERE id = $1 AND attempt = $2 AND status = 'running'`, [jobId, attempt, progress]);
}

/** After a platform failure with attempts left: the job waits as `queued` again, still holding its credits. */
export async function requeue(m: Db, jobId: string, attempt: number): Promise<void> {
  await sql(m, `UPDATE jobs SET status = 'queued', updated_at = now() WHERE id = $1 AND attempt = $2 AND status = 'running'`, [jobId, attempt]);
}

/** Ask the workers running these jobs to abort them (each worker ends its job as cancelled). */
export async function requestCancel(m: Db, jobIds: string[]): Promise<void> {
  await sql(m, `UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, now()) WHERE id = ANY ($1::uuid[]) AND status = 'running'`, [jobIds]);
}

/** Which of these jobs have a cancel request (the worker's backstop for a missed pub/sub message). */
export async function cancelRequested(m: Db, jobIds: string[]): Promise<string[]> {
  const rows = await sql<{ id: string }>(m, `SELECT id FROM jobs WHERE id = ANY ($1) AND cancel_requested_at IS NOT NULL`, [jobIds]);
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- endings: settle / refund

export interface FinishJob {
  jobId: string;
  /** Only the claim with this attempt may finish the job; null: any (cancel of a queued job, the reaper). */
  attempt: number | null;
  /** Statuses the job may be in for this finish to apply. */
  from: JobStatus[];
  status: "succeeded" | "failed" | "canceled";
  /** Credits to capture from the hold (clamped to it); 0 releases everything. */
  charge: number;
  /** How an uncharged remainder shows in history: `refund` (platform failed) or `release`. */
  releaseType: "release" | "refund";
  result?: unknown;
  error?: { type: "user" | "system"; message: string } | null;
  /** The reaper: resolve the hold as expired rather than voided. */
  expire?: boolean;
}

/** How a finished job's hold was resolved. */
export interface Settled {
  status: FinishJob["status"];
  charged: number;
  refunded: number;
}

/**
 * Finish a job and settle its hold in ONE statement: the fenced job update
 * and the ledger's settlement run together, so on a data source (autocommit)
 * there is no transaction round trip at all. null when another party already
 * finished the job (the fence did not match).
 *
 * The charge is clamped to the hold in SQL. The job's credit columns assume
 * the hold was still pending (it must be: holds and job endings only ever
 * resolve together); should the ledger report an earlier resolution, they
 * are corrected to what the ledger says. A refusal by the ledger (no such
 * hold, more than it holds, a reused id) aborts the statement: the job is
 * left untouched and the error is thrown.
 */
export async function settleJob(m: Db, f: FinishJob): Promise<Settled | null> {
  return (await settled(m, [f], await settleStatement(m, f.from, [f])))[0]!;
}

/**
 * settleJob for many jobs, of any users, in one statement (the worker's
 * group commit: one round trip, one commit and one lock per account for the
 * batch). Every item is fenced on `from` and its own attempt exactly as
 * settleJob does. Should the statement fail — a refusal of one hold aborts
 * it, as in settleJob — each job is settled on its own instead, so only the
 * refused one fails.
 */
export async function settleJobs(m: Db, from: JobStatus[], items: Omit<FinishJob, "from">[]): Promise<(Settled | null | Error)[]> {
  let rows: SettledRow[];
  try {
    rows = await settleStatement(m, from, items);
  } catch (err) {
    if (items.length === 1) return [asError(err)];
    return Promise.all(items.map((f) => settleJob(m, { ...f, from }).catch((e: unknown) => asError(e))));
  }
  return settled(m, items, rows);
}

/** settleJob, then the job's status event for whoever watches it. */
export async function endJob(ctx: AppContext, f: FinishJob): Promise<Settled | null> {
  const done = await settleJob(ctx.ds, f);
  if (done) ctx.jobEvents.publish({ type: "status", job_id: f.jobId, status: done.status });
  return done;
}

/** settleJobs, then each finished job's status event. */
export async function endJobs(ctx: AppContext, from: JobStatus[], items: Omit<FinishJob, "from">[]): Promise<(Settled | null | Error)[]> {
  const out = await settleJobs(ctx.ds, from, items);
  out.forEach((done, i) => {
    if (done && !(done instanceof Error)) ctx.jobEvents.publish({ type: "status", job_id: items[i]!.jobId, status: done.status });
  });
  return out;
}

interface SettledRow {
  ord: string;
  settle_status: string;
  posted: string;
  released: string;
}

/** The fenced job updates and their holds' settlements, one row per item that got through its fence. */
function settleStatement(m: Db, from: JobStatus[], items: Omit<FinishJob, "from">[]): Promise<SettledRow[]> {
  return sql<SettledRow>(
    m,
    `WITH t AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::uuid[],
                              $9::text[], $10::text[], $11::text[])
           WITH ORDINALITY AS t (job_id, status, result, error_type, error_message, attempt, charge, settle_id, release_type, void_state,
                                 description, ord)
       ),
       j AS (
         UPDATE jobs SET status = t.status, result = t.result::jsonb, error_type = t.error_type, error_message = t.error_message,
                finished_at = now(), updated_at = now(),
                progress = CASE WHEN t.status = 'succeeded' THEN 100 ELSE jobs.progress END,
                credits_charged = least(greatest(t.charge, 0), jobs.credits_estimated),
                credits_refunded = jobs.credits_estimated - least(greatest(t.charge, 0), jobs.credits_estimated)
           FROM t
          WHERE jobs.id = t.job_id AND jobs.status = ANY ($12::text[]) AND (t.attempt IS NULL OR jobs.attempt = t.attempt)
          RETURNING t.settle_id, jobs.hold_transfer_id AS pending_id, jobs.credits_charged AS charge, t.release_type, t.void_state,
                    t.description, t.ord
       ),
       s AS (${settlementsPlan("j")})
     SELECT j.ord, s.settle_status, s.posted, s.released, s.guard FROM s JOIN j ON j.pending_id = s.pending_id`,
    [items.map((f) => f.jobId), items.map((f) => f.status), items.map((f) => (f.result === undefined ? null : JSON.stringify(f.result))),
      items.map((f) => f.error?.type ?? null), items.map((f) => f.error?.message ?? null), items.map((f) => f.attempt),
      items.map((f) => Math.floor(f.charge)), items.map((f) => derivedId(f.jobId, "settle")), items.map((f) => f.releaseType),
      items.map((f) => (f.expire ? "expired" : "voided")), items.map((f) => describe(f)), from],
    "holdfast_settle_jobs",
  );
}

/** Each item's outcome, by position in the batch: two claims of one job may end in one batch, and only the one its fence let through settled. */
function settled(m: Db, items: Omit<FinishJob, "from">[], rows: SettledRow[]): Promise<(Settled | null)[]> {
  const byOrd = new Map(rows.map((r) => [Number(r.ord), r]));
  return Promise.all(items.map(async (f, i) => {
    const row = byOrd.get(i + 1);
    if (!row) return null;
    const charged = toInt(row.posted);
    const refunded = toInt(row.released);
    if (row.settle_status !== "created") await correctCredits(m, f.jobId, charged, refunded);
    return { status: f.status, charged, refunded };
  }));
}

/**
 * Only the job-row fence decides who finishes a job, and every finisher goes
 * through here, so a hold cannot already be resolved when its job ends; keep
 * the row truthful if it ever is.
 */
export async function correctCredits(m: Db, jobId: string, charged: number, refunded: number): Promise<void> {
  await sql(m, `UPDATE jobs SET credits_charged = $2, credits_refunded = $3 WHERE id = $1`, [jobId, charged, refunded]);
}

/** Lock a job's row for the rest of the caller's transaction (the reaper's repair of a final job's stuck hold). */
export async function lockJob(m: Db, jobId: string): Promise<void> {
  await sql(m, `SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE`, [jobId]);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function describe(f: Omit<FinishJob, "from">): string {
  if (f.status === "succeeded") return "Job succeeded";
  if (f.status === "canceled") return "Job cancelled";
  return f.error?.type === "user" ? "Job failed (input)" : "Job failed (platform): refunded";
}

// ---------------------------------------------------------------- safety nets (the scheduler's tasks)

/** Keyset position in a scan ordered by (created_at, id). */
export interface ScanAfter {
  createdAt: string;
  id: string;
}

/** The job's hold's expiry, for a dispatch from the safety nets (a primary-key lookup per row). */
const HOLD_EXPIRES_AT = `(SELECT p.expires_at FROM ledger_pending p WHERE p.transfer_id = jobs.hold_transfer_id) AS hold_expires_at`;

/** The outbox: jobs committed `queued` that no worker has claimed yet (`enqueued_at IS NULL`), created before `cutoff`, oldest first. */
export function unclaimedJobs(m: Db, cutoff: Date, after: ScanAfter | null, limit: number) {
  return sql<{ id: string; user_id: string; max_attempts: number; created_ts: string; hold_expires_at: Date | null }>(
    m,
    `SELECT id, user_id, max_attempts, ${cursorTs("created_at")} AS created_ts, ${HOLD_EXPIRES_AT} FROM jobs
      WHERE status = 'queued' AND enqueued_at IS NULL AND created_at < $1
        AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
      ORDER BY created_at, id LIMIT $4`,
    [cutoff, after?.createdAt ?? null, after?.id ?? null, limit],
  );
}

export interface LiveJobRow {
  id: string;
  user_id: string;
  status: "queued" | "running";
  attempt: number;
  max_attempts: number;
  /** Exact (microsecond) text of created_at, for the keyset. */
  created_ts: string;
  /** When the job's hold may expire (handed to BullMQ with the job, see dispatch). */
  hold_expires_at: Date | null;
}

/** Non-final jobs untouched for `staleMs` (running ones: plus their timeout), oldest first: what reconciliation checks against BullMQ. */
export function staleLiveJobs(m: Db, now: Date, staleMs: number, after: ScanAfter | null, limit: number): Promise<LiveJobRow[]> {
  return sql<LiveJobRow>(
    m,
    `SELECT id, user_id, status, attempt, max_attempts, ${cursorTs("created_at")} AS created_ts, ${HOLD_EXPIRES_AT} FROM jobs
      WHERE status IN ('queued', 'running')
        AND updated_at < $1::timestamptz - make_interval(secs => ($2 + CASE WHEN status = 'running' THEN coalesce(timeout_ms, 0) ELSE 0 END) / 1000.0)
        AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
      ORDER BY created_at, id LIMIT $5`,
    [now, staleMs, after?.createdAt ?? null, after?.id ?? null, limit],
  );
}

/**
 * Running rows whose run was lost wait as `queued` again (fenced on the
 * attempt: a worker that claimed one meanwhile keeps it); the next claim
 * counts an attempt.
 */
export async function requeueLost(m: Db, jobs: { id: string; attempt: number }[]): Promise<void> {
  await sql(
    m,
    `UPDATE jobs j SET status = 'queued', updated_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS x(id, attempt)
      WHERE j.id = x.id AND j.attempt = x.attempt AND j.status = 'running'`,
    [jobs.map((r) => r.id), jobs.map((r) => r.attempt)],
  );
}

/** Drop `input` and `result` of up to `limit` jobs finished before `before` (credits, status and times stay); returns how many. */
export async function pruneFinishedPayloads(m: Db, before: Date, limit: number): Promise<number> {
  const rows = await sql(
    m,
    `UPDATE jobs SET input = 'null'::jsonb, result = NULL, pruned_at = now() WHERE id IN (
       SELECT id FROM jobs WHERE pruned_at IS NULL AND finished_at IS NOT NULL AND finished_at < $1
          AND status IN ('succeeded', 'failed', 'canceled') LIMIT $2) RETURNING 1`,
    [before, limit],
  );
  return rows.length;
}

// ---------------------------------------------------------------- reads

export function findJob(m: Db, id: string): Promise<Job | null> {
  return repo(m).findOneBy({ id });
}

export async function findJobs(m: Db, ids: string[]): Promise<Job[]> {
  return ids.length ? repo(m).findBy(ids.map((id) => ({ id }))) : [];
}

export interface JobListFilter {
  userId: string;
  status?: JobStatus;
  kind?: string;
  /** Keyset cursor: strictly older than this (created_at, id). */
  before?: { createdAt: string; id: string };
  limit: number;
}

/** A page of a user's jobs, newest first, with each row's cursor position. */
export async function listJobs(m: Db, f: JobListFilter): Promise<{ job: Job; cursor_ts: string }[]> {
  const params: unknown[] = [f.userId, f.limit];
  let where = `user_id = $1`;
  if (f.status) where += ` AND status = $${params.push(f.status)}`;
  if (f.kind) where += ` AND kind = $${params.push(f.kind)}`;
  if (f.before) {
    params.push(f.before.createdAt, f.before.id);
    where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  const ids = await sql<{ id: string; cursor_ts: string }>(
    m,
    `SELECT id, ${cursorTs("created_at")} AS cursor_ts FROM jobs WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
    params,
  );
  const byId = new Map((await findJobs(m, ids.map((r) => r.id))).map((j) => [j.id, j]));
  return ids.map((r) => ({ job: byId.get(r.id)!, cursor_ts: r.cursor_ts }));
}

export interface BatchListFilter {
  userId: string;
  /** `active`: some job is queued or running; `finished`: none is. */
  status?: "active" | "finished";
  /** Keyset cursor: strictly older than this (created_at, id). */
  before?: { createdAt: string; id: string };
  limit: number;
}

export interface BatchRow {
  id: string;
  credit_type: string;
  credits_estimated: string;
  created_at: Date;
  cursor_ts: string;
}

/**
 * A page of a user's batches, newest first (the batches_user_idx order). It
 * lives here because the status filter looks at the batches' jobs.
 */
export function listBatches(m: Db, f: BatchListFilter): Promise<BatchRow[]> {
  const params: unknown[] = [f.userId, f.limit];
  let where = `b.user_id = $1`;
  const live = `EXISTS (SELECT 1 FROM jobs j WHERE j.batch_id = b.id AND j.status IN ('queued', 'running'))`;
  if (f.status === "active") where += ` AND ${live}`;
  if (f.status === "finished") where += ` AND NOT ${live}`;
  if (f.before) {
    params.push(f.before.createdAt, f.before.id);
    where += ` AND (b.created_at, b.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  return sql<BatchRow>(
    m,
    `SELECT b.id, b.credit_type, b.credits_estimated, b.created_at, ${cursorTs("b.created_at")} AS cursor_ts
       FROM batches b WHERE ${where} ORDER BY b.created_at DESC, b.id DESC LIMIT $2`,
    params,
  );
}

/** Per batch: its jobs counted by status and their credits summed (held: what non-final jobs still reserve, as a job's view says). */
export interface BatchTotalsRow {
  batch_id: string;
  queued: string;
  running: string;
  succeeded: string;
  failed: string;
  canceled: string;
  held: string;
  charged: string;
  refunded: string;
}

export function batchTotals(m: Db, batchIds: string[]): Promise<BatchTotalsRow[]> {
  if (batchIds.length === 0) return Promise.resolve([]);
  return sql<BatchTotalsRow>(
    m,
    `SELECT batch_id,
            count(*) FILTER (WHERE status = 'queued') AS queued, count(*) FILTER (WHERE status = 'running') AS running,
            count(*) FILTER (WHERE status = 'succeeded') AS succeeded, count(*) FILTER (WHERE status = 'failed') AS failed,
            count(*) FILTER (WHERE status = 'canceled') AS canceled,
            coalesce(sum(credits_estimated - credits_charged - credits_refunded) FILTER (WHERE status IN ('queued', 'running')), 0) AS held,
            sum(credits_charged) AS charged, sum(credits_refunded) AS refunded
       FROM jobs WHERE batch_id = ANY ($1::uuid[]) GROUP BY batch_id`,
    [batchIds],
  );
}

function repo(m: Db) {
  return m.getRepository(JobEntity);
}

/** The status of each of these jobs (ids with no row are absent): what fair dispatch's counters are checked against. */
export async function jobStatuses(m: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ id: string; status: string }>(m, `SELECT id, status FROM jobs WHERE id = ANY ($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r.status]));
}
