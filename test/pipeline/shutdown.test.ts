/**
 * Graceful shutdown of a real worker process: SIGTERM lets a running job
 * finish before the process exits; a job that would outlast
 * SHUTDOWN_TIMEOUT_MS is aborted at the deadline, goes back to the queue and
 * finishes elsewhere, charged once.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startJobWorker, type JobWorker } from "../../src/workers/job-runner";
import { pipelineKinds } from "../fixtures/kinds";
import { spawnWorker, stopWorker, type WorkerProcess } from "../fixtures/spawn";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

let p: Platform;
const workers: WorkerProcess[] = [];
let local: JobWorker | null = null;

beforeAll(async () => {
  p = await startPlatform({ kinds: pipelineKinds(), worker: false });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
  await local?.close(2000);
  local = null;
});
afterAll(async () => {
  await p?.close();
});

async function row(id: string) {
  const rows: { status: string; attempt: number; credits_charged: string; finished_at: Date | null }[] = await p.ctx.ds.query(
    `SELECT status, attempt, credits_charged, finished_at FROM jobs WHERE id = $1`,
    [id],
  );
  return rows[0]!;
}

it("finishes the running job before exiting on SIGTERM", async () => {
  const u = await p.user({ credits: 10 });
  const w = spawnWorker(p, { SHUTDOWN_TIMEOUT_MS: "20000" });
  workers.push(w);
  await w.ready;
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 3, ms: 2000 } });
  await waitFor(async () => (await row(sub.body.id)).status === "running", { what: "job running" });

  const signalledAt = Date.now();
  w.child.kill("SIGTERM");
  const exit = await w.exited;
  const tookMs = Date.now() - signalledAt;

  expect(exit).toEqual({ code: 0, signal: null });
  // Finished by this process, before it exited — not retried by anyone.
  expect(await row(sub.body.id)).toMatchObject({ status: "succeeded", attempt: 1, credits_charged: "3" });
  expect(tookMs).toBeLessThan(10_000);
  expect(w.output()).toContain("shutting down");
});

it("bounds the wait: a job longer than SHUTDOWN_TIMEOUT_MS is aborted, retried elsewhere and charged once", async () => {
  const u = await p.user({ credits: 10 });
  const w = spawnWorker(p, { SHUTDOWN_TIMEOUT_MS: "500" });
  workers.push(w);
  await w.ready;
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 3, ms: 6000 } });
  await waitFor(async () => (await row(sub.body.id)).status === "running", { what: "job running" });

  const signalledAt = Date.now();
  w.child.kill("SIGTERM");
  const exit = await w.exited;
  expect(exit.code).toBe(0);
  expect(Date.now() - signalledAt).toBeLessThan(5000);
  // Aborted by the shutdown, waiting for another worker; its hold is untouched.
  expect(await row(sub.body.id)).toMatchObject({ status: "queued", attempt: 1, credits_charged: "0" });

  local = startJobWorker(p.ctx);
  const done = await waitFor(async () => {
    const r = await row(sub.body.id);
    return r.status === "succeeded" || r.status === "failed" ? r : null;
  }, { timeoutMs: 20_000, what: "job retried and finished" });
  expect(done).toMatchObject({ status: "succeeded", attempt: 2, credits_charged: "3" });
  const charges: { n: string }[] = await p.ctx.ds.query(`SELECT count(*) AS n FROM ledger_transfers WHERE job_id = $1 AND type = 'charge'`, [sub.body.id]);
  expect(Number(charges[0]!.n)).toBe(1);
});
