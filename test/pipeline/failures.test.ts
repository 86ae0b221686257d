/**
 * The three ways a run ends badly, through the real API and worker: the
 * user's fault is charged per the kind's policy and never retried; the
 * platform's fault is retried with backoff and refunded when attempts run
 * out; a timeout is refunded and not retried. A retry that succeeds charges once.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { pipelineKinds } from "../fixtures/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: pipelineKinds(), env: { JOB_ATTEMPTS: "3", JOB_BACKOFF_MS: "50" } });
});
afterAll(async () => {
  await p?.close();
});

async function finalJob(key: string, id: string) {
  return waitFor(async () => {
    const r = await p.api(key, "GET", `/api/v1/jobs/${id}`);
    return ["succeeded", "failed", "canceled"].includes(r.body.status) ? r.body : null;
  }, { what: `job ${id} to finish` });
}

async function transfers(jobId: string): Promise<{ type: string; amount: string }[]> {
  return p.ctx.ds.query(`SELECT type, amount FROM ledger_transfers WHERE job_id = $1 ORDER BY created_at, type`, [jobId]);
}

async function userAvailable(userId: string): Promise<number> {
  const rows: { available: string }[] = await p.ctx.ds.query(
    `SELECT credits_posted - debits_posted - debits_pending AS available FROM ledger_accounts WHERE kind = 'user' AND user_id = $1`,
    [userId],
  );
  return Number(rows[0]?.available ?? 0);
}

it("charges a user-caused failure per the kind's policy (measured usage), releases the rest, and does not retry", async () => {
  const u = await p.user({ credits: 10 });
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 4, fail: "user" } });
  expect(sub.status).toBe(202);
  const job = await finalJob(u.key, sub.body.id);
  expect(job).toMatchObject({
    status: "failed", attempts: 1, error: { type: "user", message: "bad input on purpose" },
    credits: { estimated: 4, held: 0, charged: 1, refunded: 3 },
  });
  expect(await userAvailable(u.id)).toBe(9);
  expect((await transfers(sub.body.id)).map((t) => `${t.type}:${t.amount}`).sort()).toEqual(["charge:1", "hold:4", "release:3"]);
});

it("retries a platform failure with backoff and refunds it in full when attempts run out", async () => {
  const u = await p.user({ credits: 10 });
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5, fail: "system" } });
  const job = await finalJob(u.key, sub.body.id);
  expect(job).toMatchObject({
    status: "failed", attempts: 3, error: { type: "system" },
    credits: { estimated: 5, held: 0, charged: 0, refunded: 5 },
  });
  expect(job.error.message).toMatch(/dependency down on purpose/);
  expect(await userAvailable(u.id)).toBe(10);
  expect((await transfers(sub.body.id)).map((t) => `${t.type}:${t.amount}`).sort()).toEqual(["hold:5", "refund:5"]);
  const bull = await p.ctx.queues.jobs.getJob(sub.body.id);
  expect(bull?.attemptsMade).toBe(3);
});

it("charges a job that failed on the platform once and then succeeded exactly once", async () => {
  const u = await p.user({ credits: 10 });
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 3, use: 2, fail: "system-once" } });
  const job = await finalJob(u.key, sub.body.id);
  expect(job).toMatchObject({ status: "succeeded", attempts: 2, error: null, credits: { estimated: 3, held: 0, charged: 2, refunded: 1 } });
  const t = await transfers(sub.body.id);
  expect(t.filter((x) => x.type === "charge")).toEqual([{ type: "charge", amount: "2" }]);
  expect(await userAvailable(u.id)).toBe(8);
});

it("refunds a job that outlives its kind's hard timeout, without retrying it", async () => {
  const u = await p.user({ credits: 10 });
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "tight", input: { cost: 2, ms: 3000 } });
  const job = await finalJob(u.key, sub.body.id);
  expect(job).toMatchObject({ status: "failed", attempts: 1, error: { type: "system" }, credits: { charged: 0, refunded: 2 } });
  expect(job.error.message).toMatch(/300 ms time limit/);
  expect(await userAvailable(u.id)).toBe(10);
});

it("stores progress on the job while it runs", async () => {
  const u = await p.user({ credits: 10 });
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1, ms: 1500, progress: true } });
  const mid = await waitFor(async () => {
    const r = await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`);
    return r.body.status === "running" && r.body.progress > 0 && r.body.progress < 100 ? r.body : null;
  }, { intervalMs: 20, what: "progress between 0 and 100" });
  expect(mid.progress % 20).toBe(0);
  expect(await finalJob(u.key, sub.body.id)).toMatchObject({ status: "succeeded", progress: 100 });
});
