/**
 * The job worker: claim (fenced) → run the kind under a hard timeout and an
 * AbortSignal → settle or refund. Delivery is at-least-once; charging is
 * exactly-once, because every ending goes through the jobs store's fenced
 * update and a settlement id derived from the job id. Orchestration only:
 * the SQL is the store's (src/jobs/store.ts).
 */
import { type Job as BullJob, DelayedError, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { AppContext } from "../context";
import { Canceled, TimedOut, UserError } from "../jobs/run-errors";
import { publicSystemMessage } from "../jobs/public-error";
import { cancelChannel } from "../jobs/events";
import { endFair, fairOn, leaseFair, startFair } from "../jobs/fairness";
import type { JobKind } from "../jobs/kind";
import { cancelRequested, type Claimed, claimJobs, endJob, endJobs, type FinishJob, requeue, type Settled, writeProgress } from "../jobs/store";
import { GroupCommit } from "../lib/group-commit";
import { createRedis, type JobRunData, QUEUE } from "../queues";
import { closeWorker } from "./close";
import { deferClaim, retryWhileDatabaseDown } from "./outage";

/** A job's ending could not be written (cause: why); thrown by processJob's finish. */
class EndingUnwritten extends Error {
  constructor(cause: unknown) {
    super("The job's ending could not be written.", { cause });
    this.name = "EndingUnwritten";
  }
}

/** Why a run was aborted from outside. */
class Shutdown extends Error {
  constructor() {
    super("The worker is shutting down.");
    this.name = "Shutdown";
  }
}

export interface JobWorker {
  worker: Worker<JobRunData>;
  /** Stop taking jobs; wait up to timeoutMs for running ones, then abort them (they are retried elsewhere). */
  close(timeoutMs?: number): Promise<void>;
}

export interface JobWorkerOptions {
  concurrency?: number;
  /** Progress is written to the job row at most this often, in ms (default 250). */
  progressIntervalMs?: number;
}

export function startJobWorker(ctx: AppContext, opts: JobWorkerOptions = {}): JobWorker {
  const active = new Map<string, AbortController>();
  const prefix = ctx.config.QUEUE_PREFIX;
  const connection = createRedis(ctx.config.REDIS_URL);
  const subscriber: Redis = createRedis(ctx.config.REDIS_URL);

  // Cancel requests: pub/sub for speed, a poll of the job rows as the backstop.
  subscriber.subscribe(cancelChannel(prefix)).catch((err: unknown) => ctx.logger.warn({ err }, "cancel subscription failed"));
  subscriber.on("message", (_channel: string, jobId: string) => active.get(jobId)?.abort(new Canceled()));
  const poll = setInterval(() => {
    if (active.size === 0) return;
    cancelRequested(ctx.ds, [...active.keys()])
      .then((ids) => ids.forEach((id) => active.get(id)?.abort(new Canceled())))
      .catch(() => undefined);
  }, 1000);

  const batches = jobBatches(ctx);
  // Aborted once the worker is closed (or its close ran out of time): endings stop waiting for the database.
  const stopping = new AbortController();
  const run: RunState = { active, batches, stopping: stopping.signal };
  const worker = new Worker<JobRunData>(QUEUE.jobs, (job, token) => fairRun(ctx, job, token, () => processJob(ctx, job, token, run, opts)), {
    connection,
    prefix,
    concurrency: opts.concurrency ?? ctx.config.WORKER_CONCURRENCY,
    lockDuration: ctx.config.WORKER_LOCK_DURATION_MS,
    stalledInterval: ctx.config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: ctx.config.WORKER_MAX_STALLED_COUNT,
  });

  // BullMQ gave up on a job: make sure it ends refunded. That is attempts run
  // out, or an UnrecoverableError: ours (thrown after the job already ended, so
  // the fenced refund below is a no-op) or BullMQ's own — a job that stalled
  // more than WORKER_MAX_STALLED_COUNT times is failed that way by whichever
  // worker fetches it next, without our processor ever running.
  worker.on("failed", (job: BullJob<JobRunData> | undefined, err: Error) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || err.name === "UnrecoverableError" || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) return;
    // With PostgreSQL away (the claim failed at the hold's deadline, say) the refund waits for it; past that, the reaper refunds.
    const refund = () => refundLost(ctx, job.data.jobId, lostJobMessage(err));
    retryWhileDatabaseDown(ctx, job.data.jobId, "the refund of a job BullMQ gave up on", refund, stopping.signal).catch((e: unknown) =>
      ctx.logger.error({ err: e, jobId: job.data.jobId }, "refund after exhausted attempts failed"),
    );
  });
  worker.on("error", (err) => ctx.logger.error({ err }, "job worker error"));

  return {
    worker,
    async close(timeoutMs = ctx.config.SHUTDOWN_TIMEOUT_MS) {
      clearInterval(poll);
      await closeWorker(worker, timeoutMs, () => {
        ctx.logger.warn({ running: active.size }, "shutdown timeout: aborting running jobs; they will be retried");
        stopping.abort();
        for (const c of active.values()) c.abort(new Shutdown());
      });
      stopping.abort();
      subscriber.disconnect();
      connection.disconnect();
    },
  };
}

/**
 * `job.error.message` of a job BullMQ gave up on, in the user's words: a
 * stall (BullMQ's own reason) says the worker stopped responding; anything
 * the processor threw — a claim that failed while PostgreSQL restarted,
 * say — is described in general terms, never with the database's own text
 * (src/jobs/public-error.ts).
 */
export function lostJobMessage(err: Error): string {
  const why = /stalled more than/i.test(err.message) ? "Its worker stopped responding too many times." : publicSystemMessage(err);
  return `${why} The job could not be completed; the hold was refunded.`;
}

/** End a job the queue gave up on, if nobody else ended it. */
export async function refundLost(ctx: AppContext, jobId: string, message: string): Promise<boolean> {
  const done = await endJob(ctx, {
    jobId, attempt: null, from: ["queued", "running"], status: "failed", charge: 0, releaseType: "refund",
    error: { type: "system", message },
  });
  return done !== null;
}

/** What every run of one worker shares. */
interface RunState {
  /** Running jobs by id, to abort them (cancel, shutdown). */
  active: Map<string, AbortController>;
  batches: JobBatches;
  /** Aborted when the worker closes: stop waiting for the database. */
  stopping: AbortSignal;
}

interface JobBatches {
  claims: GroupCommit<"claim", string, Claimed | null>;
  endings: GroupCommit<"end", Omit<FinishJob, "from">, Settled | null>;
}

/**
 * How long a claim, and an ending, may wait for others to share its
 * statement (GroupCommit's lingerMs). Under heavy load batches fill while the
 * previous one is written and nothing waits; at a moderate rate (measured at
 * 500 jobs/s) most batches would otherwise hold one or two jobs, and the
 * worker and its database sessions spent a fifth more CPU per job — CPU the
 * API, whose answers people wait for, shares on a small machine. A job
 * starts at most 2 ms and ends at most 5 ms later for it.
 */
const CLAIM_LINGER_MS = 2;
const ENDING_LINGER_MS = 5;

/**
 * Claims, and endings, that arrive while an earlier batch of the same sort is
 * being written (or within the linger above) go to the database together
 * (see GroupCommit): one statement and one commit for the batch instead of one per job. An endings batch covers
 * many users; ledger_settle_many takes its row locks in the ledger's global
 * order, so concurrent batches and single settlements never deadlock.
 */
function jobBatches(ctx: AppContext): JobBatches {
  const claims = new GroupCommit<"claim", string, Claimed | null>(async (_key, jobIds) => {
    // A job id twice in one batch (a duplicate delivery) claims once; the other copy runs the batch after.
    const ids = [...new Set(jobIds)];
    if (ids.length < jobIds.length) return Promise.all(jobIds.map((id) => claimJobs(ctx.ds, [id]).then((r) => r.get(id) ?? null)));
    const claimed = await claimJobs(ctx.ds, ids);
    return jobIds.map((id) => claimed.get(id) ?? null);
  }, { lingerMs: CLAIM_LINGER_MS });
  const endings = new GroupCommit<"end", Omit<FinishJob, "from">, Settled | null>((_key, items) => endJobs(ctx, ["running"], items), {
    lingerMs: ENDING_LINGER_MS,
  });
  return { claims, endings };
}

/**
 * Fair dispatch's part of a run (src/jobs/fairness.ts): the job leaves its
 * user's waiting count, and a user at USER_MAX_RUNNING has the job wait a
 * moment (BullMQ's delayed set, no attempt used) while this worker takes the
 * next one. Counters that cannot be reached do not stop the job.
 */
async function fairRun(ctx: AppContext, bull: BullJob<JobRunData>, token: string | undefined, run: () => Promise<unknown>): Promise<unknown> {
  const userId = bull.data.userId;
  if (!fairOn(ctx) || !userId) return run();
  const { jobId } = bull.data;
  const start = await startFair(ctx, userId, jobId).catch((err: unknown) => {
    ctx.logger.warn({ err, jobId }, "fair dispatch counters unreachable; running the job");
    return true;
  });
  if (!start) {
    const wait = ctx.config.USER_CAP_RETRY_MS;
    await bull.moveToDelayed(Date.now() + wait + Math.floor(Math.random() * (wait / 2)), token);
    throw new DelayedError(`user ${userId} is at USER_MAX_RUNNING`);
  }
  try {
    return await run();
  } finally {
    await endFair(ctx, userId, jobId).catch((err: unknown) => ctx.logger.warn({ err, jobId }, "could not free the job's place under USER_MAX_RUNNING"));
  }
}

async function processJob(
  ctx: AppContext, bull: BullJob<JobRunData>, token: string | undefined, { active, batches, stopping }: RunState, opts: JobWorkerOptions,
): Promise<unknown> {
  const { jobId } = bull.data;
  // PostgreSQL unreachable: the job waits without using an attempt (src/workers/outage.ts).
  const claim = await batches.claims.run("claim", jobId).catch((err: unknown) => deferClaim(ctx, bull, token, err));
  // Already final (a duplicate delivery, a cancel, the reaper): acknowledge and skip.
  if (!claim) return { skipped: true };

  // The ending waits out a database outage rather than have BullMQ run the job again; if it cannot, EndingUnwritten.
  const finish = async (f: Omit<FinishJob, "jobId" | "attempt" | "from">): Promise<void> => {
    const write = () => batches.endings.run("end", { ...f, jobId, attempt: claim.attempt });
    await retryWhileDatabaseDown(ctx, jobId, "the job's ending", write, stopping).catch((err: unknown) => {
      throw new EndingUnwritten(err);
    });
  };
  const systemFailure = (message: string) =>
    finish({ status: "failed", charge: 0, releaseType: "refund", error: { type: "system", message } });

  if (claim.cancel_requested_at) {
    await finish({ status: "canceled", charge: 0, releaseType: "release" });
    return { canceled: true };
  }
  if (claim.attempt > claim.max_attempts) {
    // Delivered again after every attempt was used (crashes or stalls): give up, refund.
    await systemFailure(`The job failed ${claim.max_attempts} times on the platform's side; the hold was refunded.`);
    return { gaveUp: true };
  }
  const kind = ctx.kinds.get(claim.kind);
  if (!kind) {
    await systemFailure(`This worker does not know the job kind "${claim.kind}".`);
    throw new UnrecoverableError(`unknown kind ${claim.kind}`);
  }
  ctx.jobEvents.publish({ type: "status", job_id: jobId, status: "running" });
  if (bull.data.userId && fairOn(ctx)) {
    leaseFair(ctx, bull.data.userId, jobId, kind.timeoutMs(claim.input)).catch(() => undefined); // the start lease stands meanwhile
  }

  const controller = new AbortController();
  active.set(jobId, controller);
  const timeoutMs = kind.timeoutMs(claim.input);
  const timer = setTimeout(() => controller.abort(new TimedOut(timeoutMs)), timeoutMs);
  const held = Number(claim.credits_estimated);
  const progress = progressReporter(ctx, jobId, claim.attempt, opts.progressIntervalMs ?? 250);
  try {
    const out = await runAbortable(kind, claim, controller.signal, {
      jobId, userId: claim.user_id, attempt: claim.attempt, held, signal: controller.signal, progress: progress.report,
      logger: ctx.logger.child({ jobId, kind: claim.kind, attempt: claim.attempt }), services: ctx.services,
    });
    await progress.flush();
    await finish({ status: "succeeded", charge: out.usage, releaseType: "release", result: out.result });
    return { ok: true };
  } catch (err) {
    await progress.flush();
    // The ending could not be written (the database stayed away): no other ending would be either. BullMQ retries the job.
    if (err instanceof EndingUnwritten) throw err;
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
    if (reason instanceof Canceled) {
      await finish({ status: "canceled", charge: 0, releaseType: "release" });
      return { canceled: true };
    }
    if (reason instanceof TimedOut) {
      // The platform's limit: refunded, and not retried (it would time out again).
      await systemFailure(reason.message);
      throw new UnrecoverableError(reason.message);
    }
    if (reason instanceof UserError) {
      const charge = kind.onUserFailure === "full" ? held : kind.onUserFailure === "measured" ? reason.usage : 0;
      await finish({ status: "failed", charge, releaseType: "release", result: reason.result, error: { type: "user", message: reason.message } });
      throw new UnrecoverableError(reason.message);
    }
    const message = reason instanceof Error ? reason.message : String(reason);
    if (claim.attempt >= claim.max_attempts) {
      // Users read a general message (no paths, no SQL); the detail is in this log line.
      ctx.logger.error({ jobId, attempt: claim.attempt, err: reason }, "job failed on the platform side; attempts used up, refunding");
      await systemFailure(`The job failed on the platform's side ${claim.attempt} time(s): ${publicSystemMessage(reason).replace(/\.$/, "")}. The hold was refunded.`);
      throw new UnrecoverableError(message);
    }
    // Retry with backoff: the job waits as `queued` again, still holding its credits.
    await requeue(ctx.ds, jobId, claim.attempt);
    ctx.logger.warn({ jobId, attempt: claim.attempt, err: message }, "job failed on the platform side; will retry");
    throw reason instanceof Error ? reason : new Error(message);
  } finally {
    clearTimeout(timer);
    active.delete(jobId);
  }
}

/** Run the kind, but never wait past an abort even if the kind ignores its signal. */
function runAbortable(kind: JobKind, claim: Claimed, signal: AbortSignal, rc: Parameters<JobKind["run"]>[1]) {
  return new Promise<Awaited<ReturnType<JobKind["run"]>>>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    Promise.resolve()
      .then(() => kind.run(claim.input, rc))
      .then(resolve, reject)
      .finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Progress: clamped to 0–100, published at once, written to the row at most every intervalMs (fenced). */
function progressReporter(ctx: AppContext, jobId: string, attempt: number, intervalMs: number) {
  let last = -1;
  let written = -1;
  let lastWrite = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const write = (p: number) => {
    written = p;
    lastWrite = Date.now();
    pending = writeProgress(ctx.ds, jobId, attempt, p).catch(() => undefined);
  };
  return {
    report(percent: number) {
      const p = Math.max(0, Math.min(100, Math.round(Number.isFinite(percent) ? percent : 0)));
      if (p === last) return;
      last = p;
      ctx.jobEvents.publish({ type: "progress", job_id: jobId, progress: p });
      if (Date.now() - lastWrite >= intervalMs) write(p);
    },
    async flush() {
      if (last !== written && last >= 0) write(last);
      await pending;
    },
  };
}
