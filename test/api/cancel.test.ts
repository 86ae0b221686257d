/**
 * POST /jobs/:id/cancel: a queued job is refunded in full at once, a running
 * job is aborted and refunded, a finished job is 409 invalid_state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError, ledgerState } from "./support";

const env = { RATE_LIMIT_PER_MINUTE: "0" };

describe("without a worker (the job stays queued)", () => {
  let p: Platform;
  beforeAll(async () => {
    p = await startPlatform({ kinds: testKinds(), worker: false, env });
  });
  afterAll(async () => {
    await p?.close();
  });

  it("cancelling a queued job releases its whole hold; a second cancel is 409", async () => {
    const u = await p.user({ credits: 20 });
    const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 } });
    expect(sub.status).toBe(202);
    expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 1, held: 5 });

    const c = await p.api(u.key, "POST", `/api/v1/jobs/${sub.body.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ id: sub.body.id, status: "canceled", credits: { estimated: 5, held: 0, charged: 0, refunded: 5 } });
    expect(c.body.finished_at).not.toBeNull();
    expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 0, held: 0, posted: 20 });
    const bal = await p.api(u.key, "GET", "/api/v1/credits/balance");
    expect(bal.body).toMatchObject({ available: 20, held: 0 });
    const tx = await p.api(u.key, "GET", `/api/v1/credits/transactions?job_id=${sub.body.id}`);
    expect(tx.body.data.map((t: { type: string; amount: number }) => `${t.type}:${t.amount}`).sort()).toEqual(["hold:5", "release:5"]);
    // Gone from the queue too, so no worker will ever pick it up.
    expect(await p.ctx.queues.jobs.getJob(sub.body.id)).toBeUndefined();

    const again = await p.api(u.key, "POST", `/api/v1/jobs/${sub.body.id}/cancel`);
    expectError(again, 409, "invalid_state");
    expect(again.body.error.details).toEqual({ status: "canceled" });
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 20, held: 0 });
  });

  it("concurrent cancels of one queued job release it exactly once", async () => {
    const u = await p.user({ credits: 20 });
    const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 } });
    const replies = await Promise.all(Array.from({ length: 5 }, () => p.api(u.key, "POST", `/api/v1/jobs/${sub.body.id}/cancel`)));
    const ok = replies.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of replies.filter((x) => x.status !== 200)) expectError(r, 409, "invalid_state");
    const tx = await p.api(u.key, "GET", `/api/v1/credits/transactions?job_id=${sub.body.id}&type=release`);
    expect(tx.body.data).toHaveLength(1);
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 20, held: 0 });
  });
});

describe("with a worker", () => {
  let p: Platform;
  beforeAll(async () => {
    p = await startPlatform({ kinds: testKinds(), env });
  });
  afterAll(async () => {
    await p?.close();
  });

  it("cancelling a running job aborts it and releases its hold", async () => {
    const u = await p.user({ credits: 20 });
    const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5, ms: 3000 } });
    await waitFor(async () => (await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`)).body.status === "running", { what: "running" });
    const started = Date.now();
    const c = await p.api(u.key, "POST", `/api/v1/jobs/${sub.body.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ status: "canceled", credits: { estimated: 5, held: 0, charged: 0, refunded: 5 } });
    expect(Date.now() - started).toBeLessThan(2500);
    // Well past when the run would have finished: it stayed cancelled and charged nothing.
    await new Promise((r) => setTimeout(r, 3000));
    const later = await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`);
    expect(later.body).toMatchObject({ status: "canceled", result: null, credits: { charged: 0, refunded: 5 } });
    expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 0, held: 0, posted: 20 });
  });

  it("cancelling a finished job is 409 invalid_state and changes nothing", async () => {
    const u = await p.user({ credits: 20 });
    const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5, use: 2 } });
    await waitFor(async () => (await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`)).body.status === "succeeded", { what: "succeeded" });
    const c = await p.api(u.key, "POST", `/api/v1/jobs/${sub.body.id}/cancel`);
    expectError(c, 409, "invalid_state");
    expect(c.body.error.details).toEqual({ status: "succeeded" });
    expect(c.body.error.message).toBe("The job has already finished (succeeded); only a queued or running job can be cancelled.");
    const job = await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`);
    expect(job.body).toMatchObject({ status: "succeeded", credits: { charged: 2, refunded: 3 } });
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 18, held: 0 });
  });
});
