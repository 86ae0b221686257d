/**
 * GET /batches (the caller's, newest first, paginated, without their jobs)
 * and POST /batches/:id/cancel (every job not final, each stopped as a single
 * cancel stops it): what each user sees, bad input, and cancels racing each
 * other and workers finishing the same jobs — the ledger stays exact.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLedger, formatReport } from "../../src/ledger";
import { startJobWorker } from "../../src/workers/job-runner";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError, issuePaths, ledgerState } from "./support";

const env = { RATE_LIMIT_PER_MINUTE: "0" };
const test = (input: Record<string, unknown> = {}) => ({ kind: "test", input });

type Reply = Awaited<ReturnType<Platform["api"]>>;
type JobJson = { id: string; status: string; credits: { estimated: number; held: number; charged: number; refunded: number } };

async function submit(p: Platform, key: string, jobs: unknown[]): Promise<Reply> {
  const r = await p.api(key, "POST", "/api/v1/batches", { jobs });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r;
}

/** Every page of GET /batches with this query, following next_cursor. */
async function allPages(p: Platform, key: string, query: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r: Reply = await p.api(key, "GET", `/api/v1/batches?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    ids.push(...r.body.data.map((b: { id: string }) => b.id));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor);
  return { ids, pages };
}

/** Settlements per job from the ledger itself: releases and charges (each job must have exactly one of its hold's outcome). */
async function settlements(p: Platform, jobIds: string[]): Promise<Map<string, { release: number; charge: number; n: number }>> {
  const rows: { job_id: string; type: string; amount: string }[] = await p.ctx.ds.query(
    `SELECT job_id, type, amount FROM ledger_transfers WHERE job_id = ANY ($1) AND type IN ('release', 'refund', 'charge')`, [jobIds],
  );
  const out = new Map<string, { release: number; charge: number; n: number }>();
  for (const r of rows) {
    const s = out.get(r.job_id) ?? { release: 0, charge: 0, n: 0 };
    if (r.type === "charge") s.charge += Number(r.amount);
    else s.release += Number(r.amount);
    s.n++;
    out.set(r.job_id, s);
  }
  return out;
}

async function ledgerOk(p: Platform): Promise<void> {
  const report = await p.ctx.ds.transaction("REPEATABLE READ", (m) => checkLedger(m));
  expect(report.ok, formatReport(report)).toBe(true);
}

describe("without a worker (jobs stay queued)", () => {
  let p: Platform;
  beforeAll(async () => {
    p = await startPlatform({ kinds: testKinds(), worker: false, env });
  });
  afterAll(async () => {
    await p?.close();
  });

  describe("GET /batches", () => {
    it("lists only the caller's batches, newest first, paginated, each the batch view without its jobs", async () => {
      const u = await p.user({ credits: 1000 });
      const other = await p.user({ credits: 1000 });
      const admin = await p.user({ credits: 100, role: "admin" });
      const mine: string[] = [];
      for (let i = 0; i < 5; i++) {
        mine.unshift((await submit(p, u.key, [test({ cost: 2 }), test({ cost: 3 + i })])).body.id);
        await submit(p, other.key, [test()]);
      }
      const adminBatch = (await submit(p, admin.key, [test()])).body.id;

      const first = await p.api(u.key, "GET", "/api/v1/batches?limit=2");
      expect(first.status).toBe(200);
      expect(Object.keys(first.body).sort()).toEqual(["data", "next_cursor"]);
      expect(first.body.data.map((b: { id: string }) => b.id)).toEqual(mine.slice(0, 2));
      expect(first.body.next_cursor).toEqual(expect.any(String));
      // Each item is exactly GET /batches/:id without `jobs`.
      for (const item of first.body.data) {
        expect(item.jobs).toBeUndefined();
        const { jobs, ...view } = (await p.api(u.key, "GET", `/api/v1/batches/${item.id}`)).body;
        expect(jobs).toHaveLength(2);
        expect(item).toEqual(view);
      }
      expect(first.body.data[0]).toMatchObject({
        status: "active", credit_type: "standard", credits: { estimated: 9, held: 9, charged: 0, refunded: 0 },
        counts: { queued: 2, running: 0, succeeded: 0, failed: 0, canceled: 0 },
      });

      expect(await allPages(p, u.key, "limit=2")).toEqual({ ids: mine, pages: 3 });
      expect(await allPages(p, u.key, "")).toEqual({ ids: mine, pages: 1 });
      // An admin lists their own batches like anyone (GET /jobs has no user_id either); a user_id parameter changes nothing.
      expect((await allPages(p, admin.key, "")).ids).toEqual([adminBatch]);
      expect((await allPages(p, admin.key, `user_id=${u.id}`)).ids).toEqual([adminBatch]);
      expect((await allPages(p, u.key, `user_id=${other.id}`)).ids).toEqual(mine);
      const nobody = await p.user();
      expect((await p.api(nobody.key, "GET", "/api/v1/batches")).body).toEqual({ data: [], next_cursor: null });
    });

    it("filters by status: active while any job is queued or running, finished once every job is final", async () => {
      const u = await p.user({ credits: 100 });
      const a = (await submit(p, u.key, [test(), test()])).body.id;
      const b = (await submit(p, u.key, [test()])).body.id;
      expect((await p.api(u.key, "POST", `/api/v1/batches/${b}/cancel`)).status).toBe(200);
      expect((await allPages(p, u.key, "status=active")).ids).toEqual([a]);
      expect((await allPages(p, u.key, "status=finished")).ids).toEqual([b]);
      const fin = (await p.api(u.key, "GET", "/api/v1/batches?status=finished")).body.data[0];
      expect(fin).toMatchObject({ id: b, status: "finished", credits: { estimated: 3, held: 0, charged: 0, refunded: 3 }, counts: { canceled: 1, queued: 0 } });
    });

    it.each([
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["limit=ten", "limit"],
      ["limit=1.5", "limit"],
      ["status=done", "status"],
      ["cursor=bm90LWEtY3Vyc29y", "cursor"],
      [`cursor=${"x".repeat(501)}`, "cursor"],
    ])("?%s is a 400 naming the parameter", async (query, path) => {
      const u = await p.user();
      const r = await p.api(u.key, "GET", `/api/v1/batches?${query}`);
      expectError(r, 400, "invalid_request");
      expect(issuePaths(r)).toEqual([path]);
    });

    it("needs a key", async () => {
      expectError(await p.api(null, "GET", "/api/v1/batches"), 401, "unauthenticated");
      expectError(await p.api(null, "POST", `/api/v1/batches/${randomUUID()}/cancel`), 401, "unauthenticated");
    });
  });

  describe("POST /batches/:id/cancel", () => {
    it("releases every queued job's hold at once; a second cancel is 409 and releases nothing more", async () => {
      const u = await p.user({ credits: 50 });
      const r = await submit(p, u.key, [test({ cost: 4 }), test({ cost: 5 }), test({ cost: 6 })]);
      const jobIds: string[] = r.body.jobs.map((j: JobJson) => j.id);
      expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 3, held: 15, posted: 50 });

      const c = await p.api(u.key, "POST", `/api/v1/batches/${r.body.id}/cancel`);
      expect(c.status).toBe(200);
      expect(c.body).toMatchObject({
        id: r.body.id, status: "finished", credits: { estimated: 15, held: 0, charged: 0, refunded: 15 },
        counts: { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 3 },
      });
      expect(c.body.jobs.map((j: JobJson) => [j.id, j.status, j.credits.refunded])).toEqual([[jobIds[0], "canceled", 4], [jobIds[1], "canceled", 5], [jobIds[2], "canceled", 6]]);
      expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 0, held: 0, posted: 50 });
      for (const id of jobIds) expect(await p.ctx.queues.jobs.getJob(id)).toBeUndefined();
      const tx = await p.api(u.key, "GET", "/api/v1/credits/transactions?type=release");
      expect(tx.body.data.map((t: { amount: number }) => t.amount).sort()).toEqual([4, 5, 6]);

      const again = await p.api(u.key, "POST", `/api/v1/batches/${r.body.id}/cancel`);
      expectError(again, 409, "invalid_state");
      expect(again.body.error.details).toEqual({ status: "finished" });
      expect((await settlements(p, jobIds)).size).toBe(3);
      for (const s of (await settlements(p, jobIds)).values()) expect(s.n).toBe(1);
      expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 0, held: 0, posted: 50 });
    });

    it("a job cancelled on its own first keeps its single release; the batch cancel stops the rest", async () => {
      const u = await p.user({ credits: 50 });
      const r = await submit(p, u.key, [test({ cost: 2 }), test({ cost: 3 })]);
      const [a, b] = r.body.jobs.map((j: JobJson) => j.id);
      expect((await p.api(u.key, "POST", `/api/v1/jobs/${a}/cancel`)).status).toBe(200);
      const c = await p.api(u.key, "POST", `/api/v1/batches/${r.body.id}/cancel`);
      expect(c.status).toBe(200);
      expect(c.body.counts).toMatchObject({ canceled: 2 });
      const s = await settlements(p, [a, b]);
      expect([s.get(a), s.get(b)]).toEqual([{ release: 2, charge: 0, n: 1 }, { release: 3, charge: 0, n: 1 }]);
      expectError(await p.api(u.key, "POST", `/api/v1/jobs/${b}/cancel`), 409, "invalid_state");
    });

    it("concurrent cancels of one batch release each hold exactly once", async () => {
      const u = await p.user({ credits: 500 });
      const r = await submit(p, u.key, Array.from({ length: 40 }, (_, i) => test({ cost: 1 + (i % 5) })));
      const jobIds: string[] = r.body.jobs.map((j: JobJson) => j.id);
      const replies = await Promise.all(Array.from({ length: 8 }, () => p.api(u.key, "POST", `/api/v1/batches/${r.body.id}/cancel`)));
      expect(replies.filter((x) => x.status === 200).length).toBeGreaterThanOrEqual(1);
      for (const x of replies.filter((y) => y.status !== 200)) expectError(x, 409, "invalid_state");
      for (const x of replies.filter((y) => y.status === 200)) expect(x.body.jobs).toHaveLength(40);
      const s = await settlements(p, jobIds);
      expect(s.size).toBe(40);
      for (const [i, id] of jobIds.entries()) expect(s.get(id)).toEqual({ release: 1 + (i % 5), charge: 0, n: 1 });
      expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 0, held: 0, posted: 500 });
      await ledgerOk(p);
    });

    it("another user's batch, a missing one and a malformed id are 404; nothing changes", async () => {
      const owner = await p.user({ credits: 20 });
      const r = await submit(p, owner.key, [test({ cost: 5 })]);
      const other = await p.user({ credits: 20 });
      for (const path of [`/api/v1/batches/${r.body.id}/cancel`, `/api/v1/batches/${randomUUID()}/cancel`, "/api/v1/batches/not-a-uuid/cancel"]) {
        const x = await p.api(other.key, "POST", path);
        expectError(x, 404, "not_found");
        expect(x.body.error.message).toBe("Batch not found.");
      }
      expect(await ledgerState(p, owner.id)).toMatchObject({ pending_holds: 1, held: 5 });
      expect((await p.api(owner.key, "GET", `/api/v1/batches/${r.body.id}`)).body.counts).toMatchObject({ queued: 1 });
    });
  });
});

describe("with workers", () => {
  let p: Platform;
  beforeAll(async () => {
    p = await startPlatform({ kinds: testKinds(), env: { ...env, WORKER_CONCURRENCY: "2", JOB_BACKOFF_MS: "100" } });
  });
  afterAll(async () => {
    await p?.close();
  });

  it("finished jobs keep their charge, the running ones are aborted and released, the queued ones released at once", async () => {
    const u = await p.user({ credits: 100 });
    const r = await submit(p, u.key, [
      test({ cost: 4, use: 2 }), // finishes first: charged 2
      test({ cost: 5, ms: 4000 }), test({ cost: 5, ms: 4000 }), // running when cancelled
      test({ cost: 6, ms: 4000 }), test({ cost: 7, ms: 4000 }), // queued behind them (concurrency 2)
    ]);
    const ids: string[] = r.body.jobs.map((j: JobJson) => j.id);
    await waitFor(async () => {
      const b = (await p.api(u.key, "GET", `/api/v1/batches/${r.body.id}`)).body;
      return b.counts.succeeded === 1 && b.counts.running === 2;
    }, { what: "one job done and two running" });

    const started = Date.now();
    const c = await p.api(u.key, "POST", `/api/v1/batches/${r.body.id}/cancel`);
    expect(c.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(c.body.jobs.map((j: JobJson) => [j.status, j.credits.charged, j.credits.refunded])).toEqual([
      ["succeeded", 2, 2], ["canceled", 0, 5], ["canceled", 0, 5], ["canceled", 0, 6], ["canceled", 0, 7],
    ]);
    expect(c.body).toMatchObject({ status: "finished", credits: { estimated: 27, held: 0, charged: 2, refunded: 25 } });
    // Well past when the runs would have ended: nothing ran on and nothing was charged.
    await new Promise((res) => setTimeout(res, 4500));
    const later = (await p.api(u.key, "GET", `/api/v1/batches/${r.body.id}`)).body;
    expect(later.jobs.map((j: JobJson) => j.status)).toEqual(["succeeded", "canceled", "canceled", "canceled", "canceled"]);
    const s = await settlements(p, ids);
    for (const id of ids) expect(s.get(id)!.n).toBe(id === ids[0] ? 2 : 1); // the finished job: charge + release of the rest
    expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 0, held: 0, posted: 98 });
    expectError(await p.api(u.key, "POST", `/api/v1/batches/${r.body.id}/cancel`), 409, "invalid_state");
  });

  it("cancels racing two workers finishing the same jobs: every hold ends exactly once, charged + refunded = held", { timeout: 120_000 }, async () => {
    const second = startJobWorker(p.ctx, { concurrency: 8 });
    try {
      const users = await Promise.all(Array.from({ length: 3 }, () => p.user({ credits: 2000 })));
      // Short jobs of many lengths, so cancels land before, during and just as runs end; some fail on purpose.
      const jobsFor = (seed: number) => Array.from({ length: 100 }, (_, i) => {
        const k = (i * 7 + seed) % 10;
        return test({ cost: 1 + (k % 6), use: k % 2, ms: k * 15, ...(k === 9 ? { fail: "user" } : k === 8 ? { fail: "system-once" } : {}) });
      });
      const batches: { user: { id: string; key: string }; id: string; jobIds: string[] }[] = [];
      for (const [n, user] of users.entries()) {
        for (let b = 0; b < 2; b++) {
          const r = await submit(p, user.key, jobsFor(n * 2 + b));
          batches.push({ user, id: r.body.id, jobIds: r.body.jobs.map((j: JobJson) => j.id) });
        }
      }
      // Each batch is cancelled twice at once while some of its jobs run (a user's second batch starts once the first is cancelled).
      const replies = (await Promise.all(batches.map(async (b) => {
        await waitFor(async () => {
          const v = (await p.api(b.user.key, "GET", `/api/v1/batches/${b.id}`)).body;
          return v.counts.succeeded + v.counts.failed >= 3 && v.counts.running > 0;
        }, { intervalMs: 10, timeoutMs: 60_000, what: `batch ${b.id} to be running` });
        return Promise.all([0, 1].map(() => p.api(b.user.key, "POST", `/api/v1/batches/${b.id}/cancel`)));
      }))).flat();
      for (const r of replies) {
        if (r.status !== 200) expectError(r, 409, "invalid_state");
      }
      expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(batches.length);

      // Every job ends (a running one may still have been winding down when the reply came).
      const allIds = batches.flatMap((b) => b.jobIds);
      await waitFor(async () => {
        const [{ n }] = await p.ctx.ds.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY ($1) AND status IN ('queued', 'running')`, [allIds]);
        return n === 0;
      }, { timeoutMs: 30_000, what: "every job final" });

      const rows: { id: string; user_id: string; status: string; est: number; charged: number; refunded: number }[] = await p.ctx.ds.query(
        `SELECT id, user_id, status, credits_estimated::int AS est, credits_charged::int AS charged, credits_refunded::int AS refunded
           FROM jobs WHERE id = ANY ($1)`, [allIds],
      );
      expect(rows).toHaveLength(600);
      const s = await settlements(p, allIds);
      const byStatus: Record<string, number> = {};
      for (const j of rows) {
        byStatus[j.status] = (byStatus[j.status] ?? 0) + 1;
        // The job row and the ledger agree, and the hold was resolved exactly once.
        expect(j.charged + j.refunded, j.id).toBe(j.est);
        const led = s.get(j.id) ?? { charge: 0, release: 0, n: 0 };
        expect({ charged: led.charge, refunded: led.release }, j.id).toEqual({ charged: j.charged, refunded: j.refunded });
        if (j.status === "canceled") expect(j.charged, j.id).toBe(0);
      }
      // The race was real: some jobs ran to their end, some were stopped, and running ones were asked to abort.
      const [{ asked }] = await p.ctx.ds.query(`SELECT count(*)::int AS asked FROM jobs WHERE id = ANY ($1) AND cancel_requested_at IS NOT NULL`, [allIds]);
      expect(asked).toBeGreaterThan(0);
      expect(byStatus.canceled ?? 0).toBeGreaterThan(0);
      expect((byStatus.succeeded ?? 0) + (byStatus.failed ?? 0)).toBeGreaterThan(0);
      for (const user of users) {
        const charged = rows.filter((j) => j.user_id === user.id).reduce((sum, j) => sum + j.charged, 0);
        expect(await ledgerState(p, user.id)).toMatchObject({ pending_holds: 0, held: 0, posted: 2000 - charged });
      }
      // Each batch's view adds up, and cancelling a finished batch again is a 409 that changes nothing.
      for (const b of batches) {
        const v = (await p.api(b.user.key, "GET", `/api/v1/batches/${b.id}`)).body;
        expect(v.status).toBe("finished");
        expect(v.credits.charged + v.credits.refunded).toBe(v.credits.estimated);
        expectError(await p.api(b.user.key, "POST", `/api/v1/batches/${b.id}/cancel`), 409, "invalid_state");
      }
      const after = await settlements(p, allIds);
      expect([...after.values()].reduce((n, x) => n + x.n, 0)).toBe([...s.values()].reduce((n, x) => n + x.n, 0));
      await ledgerOk(p);
    } finally {
      await second.close(5000);
    }
  });
});
