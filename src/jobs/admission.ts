/**
 * Admission: quote → hold + job row → dispatch. ONE path for every way a job
 * is submitted — unkeyed, with an Idempotency-Key, or in a batch — which
 * differ only in what wraps it:
 *
 *   unkeyed   group commit: submissions that arrive while an earlier
 *             statement is in flight go together as the next one (all users
 *             mixed), each admitted or refused on its own, exactly as one by
 *             one — one round trip, one commit and one row lock per account
 *             for the lot (see GroupCommit in src/lib/group-commit.ts);
 *   keyed     a transaction that claims the key, then the same statement
 *             for the one job (a replay returns the first job);
 *   batch     a transaction that claims the key (if any) and writes the
 *             batch row, then the same statement with all-or-nothing
 *             admission: one check of the total.
 *
 * The statement (insertJobs in src/jobs/store.ts) writes the holds and the
 * job rows together, only while the account is active in the database; its
 * rows are read here into one outcome per job (`admitted`), so a paused
 * account, a debt (src/credits/debts.ts: 402 with `reason: "debt"`), a short
 * balance or a refused id is one error, built once.
 *
 * Dispatch after commit: the job is in PostgreSQL, so a Redis that cannot
 * take it now only delays it (the outbox relay re-adds `queued` jobs that
 * never reached Redis). So a single job's answer (202) does not wait for the
 * hand-off to BullMQ at all: the commit is the acceptance, and the hand-off
 * goes on behind the answer. JobAdmission keeps track of the hand-offs under
 * way: a cancel of a job this API has not yet handed off waits for it
 * (handedOff), and the API's shutdown waits for them all (drain), so a
 * deploy leaves no job to the relay. A batch's answer still follows its
 * hand-off (it reads the batch back anyway).
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { claimIdempotencyKey, type Idempotency } from "../db/idempotency";
import type { Job } from "../entities/job";
import type { User } from "../entities/user";
import { AppError } from "../errors";
import { askAgain, isDependencyDown } from "../lib/dependency-errors";
import { within } from "../lib/deadline";
import { GroupCommit } from "../lib/group-commit";
import { accountInDebt } from "../credits/debts";
import { AccountIds } from "../ledger/accounts";
import { toInt } from "../ledger/types";
import { type Admission, admissionOutcome } from "../ledger/plans";
import { accountPaused, assertActive } from "../users/status";
import { dispatch } from "./dispatch";
import { holdDeadline } from "./hold-deadline";
import { type Quote, quote } from "./quote";
import { admittedJobs, findJob, type InsertedRow, insertJobs, type NewJob } from "./store";
import { type JobView, toJobView } from "./view";

export interface SubmitRequest {
  kind: string;
  input: unknown;
  max_credits?: number;
  /** Admin-only price override (the route checks the role). */
  credit_amount?: number;
}

export interface Submitted {
  job: JobView;
  /** True when an Idempotency-Key replay returned an earlier job. */
  replayed: boolean;
}

/** A job admitted by a group commit: its row's created_at, and when its statement was sent and answered (performance.now()). */
interface Admitted {
  createdAt: Date;
  sentAt: number;
  answeredAt: number;
}

/**
 * Where an unkeyed submit's time went, in ms (see JobAdmissionOptions):
 * waiting for the statement in flight before its own could start and its
 * own statement (ledger holds and job rows, with the commit) — the answer
 * follows — then the queue hand-off, behind the answer (fair dispatch's
 * count, then the BullMQ add).
 */
export interface SubmitPhases {
  waitMs: number;
  statementMs: number;
  handoffMs: number;
}

export interface JobAdmissionOptions {
  /** Called once per unkeyed submit that was admitted, when its hand-off ended (the API feeds holdfast_submit_phase_seconds with it). */
  onSubmitPhases?: (p: SubmitPhases) => void;
}

/**
 * One per API (see createApp): it owns the group commit of unkeyed
 * submissions and a cache of users' account ids.
 */
export class JobAdmission {
  private readonly groupCommit: GroupCommit<"submit", NewJob, Admitted>;
  private readonly accountIds = new AccountIds();
  /** Hand-offs to the queue under way, by job id (each settles, never rejects: a failure is logged and left to the relay). */
  private readonly handoffs = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: JobAdmissionOptions = {},
  ) {
    this.groupCommit = new GroupCommit((_key, jobs) => this.admitTogether(jobs));
  }

  /** Quote, hold and queue one job; an Idempotency-Key makes it replay-safe, also for concurrent duplicates. */
  async submit(user: User, req: SubmitRequest, idem?: Idempotency): Promise<Submitted> {
    assertActive(user);
    const q = await quote(this.ctx, user.id, req.kind, req.input);
    const credits = req.credit_amount ?? q.estimate.credits;
    if (req.max_credits !== undefined && credits > req.max_credits) {
      throw new AppError("insufficient_credits", `This job is estimated at ${credits} credits, above max_credits ${req.max_credits}.`, {
        required: credits, available: req.max_credits, credit_type: q.creditType, max_credits: req.max_credits, reason: "max_credits",
      });
    }
    const job = await this.newJob(user, q, credits, null, `Hold for ${req.kind} job`);

    let createdAt: Date;
    if (!idem) {
      const queuedAt = performance.now();
      const admitted = await this.groupCommit.run("submit", job);
      createdAt = admitted.createdAt;
      const report = this.opts.onSubmitPhases;
      if (report) {
        void this.handedOff([job.id]).then(() => report({
          waitMs: admitted.sentAt - queuedAt, statementMs: admitted.answeredAt - admitted.sentAt, handoffMs: performance.now() - admitted.answeredAt,
        }));
      }
    } else {
      const out = await this.ctx.ds.transaction(async (m): Promise<{ prior: string } | { createdAt: Date }> => {
        const prior = await claimIdempotencyKey(m, user.id, "jobs", idem, job.id);
        if (prior) return { prior };
        return { createdAt: orThrow(admitted(await insertJobs(m, [job], "each"), [job], "each")[0]!) };
      });
      if ("prior" in out) return { job: toJobView((await findJob(this.ctx.ds, out.prior))!), replayed: true };
      createdAt = out.createdAt;
      this.handOff([job], dispatch(this.ctx, [job]));
    }
    return { job: toJobView(queuedJob(job, createdAt)), replayed: false };
  }

  /** Resolves once the hand-offs under way of these jobs (if any, in this API) have ended. */
  async handedOff(jobIds: string[]): Promise<void> {
    await Promise.all(jobIds.map((id) => this.handoffs.get(id)));
  }

  /** Wait for every hand-off under way, at most `timeoutMs` (the API's shutdown; the relay has the rest). */
  async drain(timeoutMs: number): Promise<void> {
    await within(Promise.all(this.handoffs.values()), timeoutMs, undefined);
  }

  private handOff(jobs: { id: string }[], handoff: Promise<void>): void {
    for (const j of jobs) this.handoffs.set(j.id, handoff);
    void handoff.finally(() => {
      for (const j of jobs) if (this.handoffs.get(j.id) === handoff) this.handoffs.delete(j.id);
    });
  }

  /** The jobs of a batch, quoted, ready for admitAll. */
  prepare(user: User, quotes: Quote[], batchId: string): Promise<NewJob[]> {
    return Promise.all(quotes.map((q) => this.newJob(user, q, q.estimate.credits, batchId, `Hold for batch ${batchId}`)));
  }

  /**
   * All or nothing: the jobs (of one user and credit type) admitted by one
   * check of their total, in the caller's transaction; refused → the error
   * is thrown (InsufficientCredits for the total, or account_paused) and the
   * caller's transaction rolls back. Dispatch them after commit.
   */
  async admitAll(m: EntityManager, jobs: NewJob[]): Promise<void> {
    admitted(await insertJobs(m, jobs, "all"), jobs, "all").forEach(orThrow);
  }

  private async newJob(user: User, q: Quote, credits: number, batchId: string | null, description: string): Promise<NewJob> {
    const attempts = q.kind.maxAttempts ?? this.ctx.config.JOB_ATTEMPTS;
    return {
      id: randomUUID(), userId: user.id, accountId: await this.accountIds.get(this.ctx.ds.manager, user.id, q.creditType), kind: q.kind.name,
      input: q.input, creditType: q.creditType, credits, attempts, timeoutMs: q.kind.timeoutMs(q.input),
      expiresAt: holdDeadline(this.ctx.clock.now().getTime(), q.kind.timeoutMs(q.input), attempts, this.ctx.config.JOB_BACKOFF_MS,
        this.ctx.config.HOLD_TTL_SECONDS),
      batchId, description,
    };
  }

  /** The group commit's statement: autocommitted, each job admitted or refused on its own; then one queue call for the lot. */
  private async admitTogether(jobs: NewJob[]): Promise<(Admitted | Error)[]> {
    const sentAt = performance.now();
    let rows;
    try {
      rows = await insertJobs(this.ctx.ds, jobs, "each");
    } catch (err) {
      if (isDependencyDown(err)) return this.afterLostConnection(jobs, err, sentAt);
      // Nothing of the statement was written. Whatever one item did wrong must fail only that item: each goes alone.
      if (jobs.length === 1) throw err;
      return Promise.all(jobs.map((j) => this.admitTogether([j]).then((r) => r[0]!, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
    }
    const outcomes = admitted(rows, jobs, "each");
    return this.dispatchAdmitted(jobs, outcomes, sentAt);
  }

  /** Start handing the jobs whose outcome is a creation time to the queue (the answers do not wait for it). */
  private dispatchAdmitted(jobs: NewJob[], outcomes: (Date | Error)[], sentAt: number): (Admitted | Error)[] {
    const answeredAt = performance.now();
    const admittedJobs = jobs.filter((_, i) => outcomes[i] instanceof Date);
    this.handOff(admittedJobs, dispatch(this.ctx, admittedJobs));
    return outcomes.map((o) => (o instanceof Date ? { createdAt: o, sentAt, answeredAt } : o));
  }

  /**
   * The connection died with the statement in flight (PostgreSQL crashed or
   * restarted, the network cut): it is autocommitted, so it may have
   * committed with only its answer lost. Answering 503 for a job that will
   * run would have a client without an Idempotency-Key submit it again and
   * pay twice, so ask again on a fresh connection: the jobs that exist were
   * admitted (answer 202 and dispatch them — the relay would too); the
   * others were not, and their 503 is true (nothing held). When the
   * database cannot be asked within about a second, the 503 names the job
   * id so the client can look before submitting again.
   *
   * Left: a server still finishing the statement of a session whose client
   * is gone could commit after the lookup; the window is the rest of one
   * short statement (bounded by lock_timeout), and the relay dispatches
   * such a job.
   */
  private async afterLostConnection(jobs: NewJob[], lost: unknown, sentAt: number): Promise<(Admitted | Error)[]> {
    const rows = await askAgain(() => admittedJobs(this.ctx.ds, jobs.map((j) => j.id)));
    if (!rows) {
      return jobs.map((j) => new AppError("unavailable",
        `The database connection was lost while job ${j.id} was being admitted, and it cannot be asked yet whether the job was accepted. ` +
        `Check GET /api/v1/jobs/${j.id} before submitting it again (an Idempotency-Key makes a retry safe).`,
        { job_id: j.id }, { cause: lost }));
    }
    const createdAt = new Map(rows.map((r) => [r.id, r.created_at]));
    const outcomes = jobs.map((j) => createdAt.get(j.id.toLowerCase()) ?? (lost instanceof Error ? lost : new Error(String(lost))));
    return this.dispatchAdmitted(jobs, outcomes, sentAt);
  }
}

/**
 * Each job's outcome from the rows of insertJobs: its row's created_at, or
 * the error to answer — the one place these errors are built.
 */
function admitted(rows: InsertedRow[], jobs: NewJob[], mode: Admission): (Date | Error)[] {
  // PostgreSQL returns uuids in lower case.
  const byId = new Map(rows.map((r) => [r.id, r]));
  const total = jobs.reduce((s, j) => s + j.credits, 0);
  return jobs.map((x): Date | Error => {
    const r = byId.get(x.id.toLowerCase());
    // No hold at all: the account owes a debt, or is not active (paused, or its user gone); nothing was held.
    if (r && !r.status && r.debt) {
      return accountInDebt(toInt(r.debt), { required: mode === "all" ? total : x.credits, available: toInt(r.balance), creditType: x.creditType });
    }
    if (!r?.status) return accountPaused(r?.pause_reason);
    const o = admissionOutcome({ id: r.id, status: r.status, available: r.available }, mode === "all" ? total : x.credits, x.creditType);
    if ("error" in o) return o.error;
    if (o.status === "created" && r.created_at) return r.created_at;
    return new Error(`job ${x.id}: hold ${o.status} without a job row`);
  });
}

function orThrow(o: Date | Error): Date {
  if (o instanceof Error) throw o;
  return o;
}

/** The job as its row reads right after admission (what an unkeyed submit answers without reading it back). */
function queuedJob(j: NewJob, createdAt: Date): Job {
  return {
    id: j.id, userId: j.userId, batchId: j.batchId, kind: j.kind, status: "queued", progress: 0, input: j.input,
    creditType: j.creditType, creditsEstimated: String(j.credits), holdTransferId: j.id, creditsCharged: "0", creditsRefunded: "0",
    result: null, errorType: null, errorMessage: null, attempt: 0, maxAttempts: j.attempts, timeoutMs: j.timeoutMs,
    enqueuedAt: null, cancelRequestedAt: null, createdAt, startedAt: null, finishedAt: null, updatedAt: createdAt,
  };
}
