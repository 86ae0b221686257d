/**
 * Recovery from a Redis that lost jobs (restarted without data, keys
 * deleted): the outbox relay and the reconciliation dispatch them again or
 * refund them, and the hold reaper releases holds whose job vanished. Each
 * task runs here directly with an explicit `now`, twice, to show the second
 * run changes nothing.
 */
import { Worker } from "bullmq";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { reapHolds } from "../../src/jobs/tasks/hold-reaper";
import { relayOutbox } from "../../src/jobs/tasks/outbox-relay";
import { reconcileQueue } from "../../src/jobs/tasks/reconcile-queue";
import { createRedis, QUEUE } from "../../src/queues";
import { type JobWorker, startJobWorker } from "../../src/workers/job-runner";
import { randomUUID } from "node:crypto";
import { pipelineKinds } from "../fixtures/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

let p: Platform;
let w: JobWorker | null = null;
const later = (ms: number) => new Date(Date.now() + ms);

beforeAll(async () => {
  // Jobs wait in Redis until a test starts a worker.
  p = await startPlatform({ kinds: pipelineKinds(), worker: false });
});
afterEach(async () => {
  await w?.close(2000);
  w = null;
});
afterAll(async () => {
  await p?.close();
});

async function submit(key: string, input: Record<string, unknown> = { cost: 3 }): Promise<string> {
  const r = await p.api(key, "POST", "/api/v1/jobs", { kind: "test", input });
  expect(r.status).toBe(202);
  await p.handedOff([r.body.id]); // these tests change the job's queue entry next
  return r.body.id;
}

async function row(id: string) {
  const rows: { status: string; attempt: number; credits_charged: string; credits_refunded: string; error_type: string | null; error_message: string | null }[] =
    await p.ctx.ds.query(`SELECT status, attempt, credits_charged, credits_refunded, error_type, error_message FROM jobs WHERE id = $1`, [id]);
  return rows[0]!;
}

async function settled(id: string) {
  return waitFor(async () => {
    const r = await row(id);
    return r.status === "succeeded" || r.status === "failed" ? r : null;
  }, { what: `job ${id} settled` });
}

async function holdState(id: string): Promise<string> {
  const rows: { state: string }[] = await p.ctx.ds.query(`SELECT state FROM ledger_pending WHERE transfer_id = $1`, [id]);
  return rows[0]!.state;
}

async function available(userId: string): Promise<number> {
  return (await ledger.balances(p.ctx.ds.manager, userId)).available;
}

/** What losing Redis's data does to one job: its BullMQ entry is gone. */
async function loseInRedis(id: string): Promise<void> {
  await p.ctx.queues.jobs.remove(id);
  expect(await p.ctx.queues.jobs.getJob(id)).toBeUndefined();
}

it("relay: re-adds a committed job that never reached Redis, once, and leaves young and waiting jobs alone", async () => {
  const u = await p.user({ credits: 20 });
  const lost = await submit(u.key);
  const waiting = await submit(u.key);
  await loseInRedis(lost);

  // Too young: it may still be on its way from the API.
  expect(await relayOutbox(p.ctx, new Date())).toEqual({ relayed: 0, waiting: 0 });
  expect(await relayOutbox(p.ctx, later(15_000))).toEqual({ relayed: 1, waiting: 1 });
  expect(await relayOutbox(p.ctx, later(15_000))).toEqual({ relayed: 0, waiting: 2 });
  // Waiting to run: prioritized under fair dispatch (src/jobs/fairness.ts), plain waiting with FAIR_DISPATCH=off.
  const counts = await p.ctx.queues.jobs.getJobCounts("waiting", "prioritized");
  expect(counts.waiting! + counts.prioritized!).toBe(2);

  w = startJobWorker(p.ctx);
  expect(await settled(lost)).toMatchObject({ status: "succeeded", attempt: 1, credits_charged: "3" });
  expect(await settled(waiting)).toMatchObject({ status: "succeeded", attempt: 1 });
  expect(await available(u.id)).toBe(14);
});

it("reconciliation: re-dispatches a running job whose BullMQ entry vanished, and refunds one with no attempts left", async () => {
  const u = await p.user({ credits: 20 });
  const retry = await submit(u.key, { cost: 4 });
  const spent = await submit(u.key, { cost: 5 });
  // Both were being run by a worker that died together with Redis's data.
  await p.ctx.ds.query(`UPDATE jobs SET status = 'running', attempt = 1, started_at = now(), enqueued_at = now() WHERE id = $1`, [retry]);
  await p.ctx.ds.query(`UPDATE jobs SET status = 'running', attempt = max_attempts, started_at = now(), enqueued_at = now() WHERE id = $1`, [spent]);
  await loseInRedis(retry);
  await loseInRedis(spent);

  // A running job is left alone within its own timeout plus the stale margin.
  expect(await reconcileQueue(p.ctx, later(30_000))).toEqual({ checked: 0, redispatched: 0, refunded: 0 });
  const now = later(10 * 60_000);
  expect(await reconcileQueue(p.ctx, now)).toEqual({ checked: 2, redispatched: 1, refunded: 1 });
  expect(await row(retry)).toMatchObject({ status: "queued", attempt: 1 });
  expect(await row(spent)).toMatchObject({ status: "failed", error_type: "system", credits_charged: "0", credits_refunded: "5" });
  expect(await holdState(spent)).toBe("voided");
  // Twice: the re-added job is waiting in BullMQ now, the refunded one is final.
  expect(await reconcileQueue(p.ctx, now)).toEqual({ checked: 1, redispatched: 0, refunded: 0 });

  w = startJobWorker(p.ctx);
  expect(await settled(retry)).toMatchObject({ status: "succeeded", attempt: 2, credits_charged: "4" });
  expect(await available(u.id)).toBe(16);
});

it("reconciliation: a job BullMQ counts as completed while the database says queued is removed and added again", async () => {
  const u = await p.user({ credits: 20 });
  const id = await submit(u.key, { cost: 2 });
  // A consumer that acknowledges without running anything (as if the ending half-failed).
  const conn = createRedis(p.ctx.config.REDIS_URL);
  const rogue = new Worker(QUEUE.jobs, async () => "dropped", { connection: conn, prefix: p.ctx.config.QUEUE_PREFIX });
  await waitFor(async () => (await p.ctx.queues.jobs.getJobState(id)) === "completed", { what: "BullMQ entry completed" });
  await rogue.close();
  conn.disconnect();
  // Re-adding alone would be a no-op: the completed entry holds the job id.
  expect(await relayOutbox(p.ctx, later(15_000))).toEqual({ relayed: 0, waiting: 0 });

  expect(await reconcileQueue(p.ctx, later(10 * 60_000))).toMatchObject({ redispatched: 1, refunded: 0 });
  expect(["waiting", "prioritized"]).toContain(await p.ctx.queues.jobs.getJobState(id)); // prioritized: fair dispatch
  w = startJobWorker(p.ctx);
  expect(await settled(id)).toMatchObject({ status: "succeeded", attempt: 1, credits_charged: "2" });
});

it("hold reaper: expires the hold of a job that vanished from Redis and fails the job as a system failure", async () => {
  const u = await p.user({ credits: 20 });
  const gone = await submit(u.key, { cost: 6 });
  const waiting = await submit(u.key, { cost: 1 });
  await loseInRedis(gone);

  expect(await reapHolds(p.ctx, new Date())).toEqual({ expired: 0, orphans: 0, live: 0 });
  const farFuture = later(30 * 24 * 3600_000);
  expect(await reapHolds(p.ctx, farFuture)).toEqual({ expired: 1, orphans: 0, live: 1 });
  expect(await row(gone)).toMatchObject({
    status: "failed", error_type: "system", credits_charged: "0", credits_refunded: "6",
  });
  expect((await row(gone)).error_message).toMatch(/hold expired/);
  expect(await holdState(gone)).toBe("expired");
  // The job still waiting in BullMQ keeps its hold and runs normally.
  expect(await holdState(waiting)).toBe("pending");
  expect(await reapHolds(p.ctx, farFuture)).toEqual({ expired: 0, orphans: 0, live: 1 });
  expect(await available(u.id)).toBe(19);

  w = startJobWorker(p.ctx);
  expect(await settled(waiting)).toMatchObject({ status: "succeeded", credits_charged: "1" });
  expect(await available(u.id)).toBe(19);
});

it("hold reaper: releases an expired hold that has no job at all", async () => {
  const u = await p.user({ credits: 10 });
  const holdId = randomUUID();
  await ledger.hold(p.ctx.ds.manager, { id: holdId, userId: u.id, amount: 4, expiresAt: new Date(Date.now() - 1000) });
  expect(await available(u.id)).toBe(6);
  expect(await reapHolds(p.ctx, new Date())).toMatchObject({ orphans: 1 });
  expect(await reapHolds(p.ctx, new Date())).toMatchObject({ orphans: 0 });
  expect(await holdState(holdId)).toBe("expired");
  expect(await available(u.id)).toBe(10);
});

it("hold reaper: treats each job of a batch on its own", async () => {
  const u = await p.user({ credits: 20 });
  const r = await p.api(u.key, "POST", "/api/v1/batches", { jobs: [{ kind: "test", input: { cost: 2 } }, { kind: "test", input: { cost: 3 } }] });
  expect(r.status).toBe(202);
  const [lost, kept] = r.body.jobs.map((j: { id: string }) => j.id) as [string, string];
  await loseInRedis(lost);

  expect(await reapHolds(p.ctx, later(30 * 24 * 3600_000))).toEqual({ expired: 1, orphans: 0, live: 1 });
  expect(await row(lost)).toMatchObject({ status: "failed", error_type: "system", credits_refunded: "2" });
  expect(await holdState(kept)).toBe("pending");
  w = startJobWorker(p.ctx);
  expect(await settled(kept)).toMatchObject({ status: "succeeded", credits_charged: "3" });
  expect(await available(u.id)).toBe(17);
});
