/**
 * Redis down: submissions (keyed, unkeyed, batches) and cancels are answered
 * within a second with 202 (cancel: 200), because the job and its hold are
 * already committed in PostgreSQL; a resubmitted key holds nothing more; and
 * once Redis is back the outbox relay dispatches the jobs and they run.
 * Redis here is a private redis-server the test SIGKILLs and restarts empty.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { relayOutbox } from "../../src/jobs/tasks/outbox-relay";
import { startJobWorker } from "../../src/workers/job-runner";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { PrivateRedis } from "../helpers/private-services";

let redis: PrivateRedis;
let p: Platform;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  p = await startPlatform({ kinds: testKinds(), env: { REDIS_URL: redis.url } });
}, 30_000);
afterAll(async () => {
  await redis?.up();
  await p?.close();
  await redis?.stop();
});

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; r: T }> {
  const started = performance.now();
  const r = await fn();
  return { ms: performance.now() - started, r };
}

it("answers every submission and cancel within 1 s while Redis is down, charges nothing twice, and runs the jobs once it is back", async () => {
  const u = await p.user({ credits: 100 });
  // A job that reached Redis before the outage, cancelled during it.
  const before = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 2, ms: 60_000 } });
  expect(before.status).toBe(202);
  await p.worker!.close(1000); // keep it queued: no worker takes it
  await redis.kill();

  const unkeyed = await timed(() => p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 3 } }));
  const key = randomUUID();
  const keyed = await timed(() => p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 } }, { "idempotency-key": key }));
  // The client timed out (say) and resubmits with the same key: the same job, nothing more held.
  const replay = await timed(() => p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 } }, { "idempotency-key": key }));
  const batch = await timed(() => p.api(u.key, "POST", "/api/v1/batches", { jobs: [{ kind: "test", input: { cost: 1 } }, { kind: "test", input: { cost: 1 } }] }));
  const cancel = await timed(() => p.api(u.key, "POST", `/api/v1/jobs/${before.body.id}/cancel`));

  for (const [name, t, status] of [["unkeyed", unkeyed, 202], ["keyed", keyed, 202], ["replay", replay, 202], ["batch", batch, 202], ["cancel", cancel, 200]] as const) {
    expect({ name, status: t.r.status }, JSON.stringify(t.r.body)).toEqual({ name, status });
    expect(t.ms, `${name} took ${Math.round(t.ms)} ms`).toBeLessThan(1000);
  }
  expect(replay.r.body.id).toBe(keyed.r.body.id);
  expect(cancel.r.body.status).toBe("canceled");

  // Held: 3 + 5 + 1 + 1 (the cancelled job's 2 released); nothing twice.
  const bal = await ledger.balances(p.ctx.ds.manager, u.id);
  expect({ held: bal.held, available: bal.available }).toEqual({ held: 10, available: 90 });
  const jobs: { n: number }[] = await p.ctx.ds.query(`SELECT count(*)::int AS n FROM jobs WHERE user_id = $1`, [u.id]);
  expect(jobs[0]!.n).toBe(5);

  // Redis is back, empty. The relay dispatches what never reached it; a worker runs it.
  await redis.up();
  await waitFor(async () => p.ctx.redis.status === "ready", { what: "the API's Redis connection back" });
  const relayed = await relayOutbox(p.ctx, new Date(Date.now() + 60_000));
  expect(relayed).toEqual({ relayed: 4, waiting: 0 });
  const w = startJobWorker(p.ctx);
  try {
    const ids = [unkeyed.r.body.id, keyed.r.body.id, ...batch.r.body.jobs.map((j: { id: string }) => j.id)];
    for (const id of ids) {
      const done = await waitFor(async () => {
        const r = await p.api(u.key, "GET", `/api/v1/jobs/${id}`);
        return r.body.status === "succeeded" ? r.body : null;
      }, { what: `job ${id} succeeded` });
      expect(done.attempts).toBe(1);
    }
  } finally {
    await w.close(2000);
  }
  const end = await ledger.balances(p.ctx.ds.manager, u.id);
  expect({ held: end.held, available: end.available }).toEqual({ held: 0, available: 90 });
}, 60_000);
