/**
 * Crash safety with real processes: a worker process is killed with SIGKILL
 * in the middle of a job. The job must then finish on another worker (and be
 * charged exactly once) or, when it stalled too often, be refunded — never
 * charged twice, never left holding credits.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { pipelineKinds } from "../fixtures/kinds";
import { spawnWorker, stopWorker, type WorkerProcess } from "../fixtures/spawn";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

let p: Platform;
const workers: WorkerProcess[] = [];

// Short locks so a dead worker's job is noticed within seconds, not 30 s.
const FAST_STALL = { WORKER_LOCK_DURATION_MS: "2000", WORKER_STALLED_INTERVAL_MS: "1000" };

beforeAll(async () => {
  // No worker in the test process: only the spawned processes run jobs.
  p = await startPlatform({ kinds: pipelineKinds(), worker: false });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
});
afterAll(async () => {
  await p?.close();
});

function worker(env: Record<string, string>): WorkerProcess {
  const w = spawnWorker(p, env);
  workers.push(w);
  return w;
}

async function row(id: string) {
  const rows: { status: string; attempt: number; credits_charged: string; credits_refunded: string; error_type: string | null }[] =
    await p.ctx.ds.query(`SELECT status, attempt, credits_charged, credits_refunded, error_type FROM jobs WHERE id = $1`, [id]);
  return rows[0]!;
}

async function chargeTransfers(jobId: string): Promise<number> {
  const rows: { n: string }[] = await p.ctx.ds.query(`SELECT count(*) AS n FROM ledger_transfers WHERE job_id = $1 AND type = 'charge'`, [jobId]);
  return Number(rows[0]!.n);
}

async function available(userId: string): Promise<number> {
  const rows: { a: string }[] = await p.ctx.ds.query(
    `SELECT credits_posted - debits_posted - debits_pending AS a FROM ledger_accounts WHERE kind = 'user' AND user_id = $1`,
    [userId],
  );
  return Number(rows[0]!.a);
}

it("finishes a job on another worker after its worker process is SIGKILLed mid-run, charging it exactly once", async () => {
  const u = await p.user({ credits: 20 });
  const a = worker({ ...FAST_STALL, WORKER_MAX_STALLED_COUNT: "1" });
  await a.ready;
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 6, use: 4, ms: 5000 } });
  expect(sub.status).toBe(202);
  await waitFor(async () => (await row(sub.body.id)).status === "running", { what: "job running on worker A" });
  await new Promise((r) => setTimeout(r, 300));
  await stopWorker(a, "SIGKILL");
  expect(await row(sub.body.id)).toMatchObject({ status: "running", attempt: 1 });

  const b = worker({ ...FAST_STALL, WORKER_MAX_STALLED_COUNT: "1" });
  await b.ready;
  const done = await waitFor(async () => {
    const r = await row(sub.body.id);
    return r.status === "succeeded" || r.status === "failed" ? r : null;
  }, { timeoutMs: 30_000, what: "job finished on worker B" });
  expect(done).toMatchObject({ status: "succeeded", attempt: 2, credits_charged: "4", credits_refunded: "2" });
  expect(await chargeTransfers(sub.body.id)).toBe(1);
  expect(await available(u.id)).toBe(16);
});

it("refunds a job that stalled more often than WORKER_MAX_STALLED_COUNT allows", async () => {
  const u = await p.user({ credits: 20 });
  const a = worker({ ...FAST_STALL, WORKER_MAX_STALLED_COUNT: "0" });
  await a.ready;
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 7, ms: 5000 } });
  await waitFor(async () => (await row(sub.body.id)).status === "running", { what: "job running on worker A" });
  await stopWorker(a, "SIGKILL");

  // B's stalled checker fails the job (stalled once, zero allowed); B's `failed` listener refunds it.
  const b = worker({ ...FAST_STALL, WORKER_MAX_STALLED_COUNT: "0" });
  await b.ready;
  const done = await waitFor(async () => {
    const r = await row(sub.body.id);
    return r.status === "failed" || r.status === "succeeded" ? r : null;
  }, { timeoutMs: 30_000, what: "stalled job refunded" });
  expect(done).toMatchObject({ status: "failed", error_type: "system", attempt: 1, credits_charged: "0", credits_refunded: "7" });
  expect(await chargeTransfers(sub.body.id)).toBe(0);
  expect(await available(u.id)).toBe(20);
  const bull = await p.ctx.queues.jobs.getJob(sub.body.id);
  expect(bull?.failedReason).toMatch(/stalled more than allowable limit/);
  // The user reads why in their words, not BullMQ's.
  const job = (await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`)).body;
  expect(job.error.message).toBe("Its worker stopped responding too many times. The job could not be completed; the hold was refunded.");
});
