/**
 * Fair dispatch across users (src/jobs/fairness.ts), on real Redis and
 * PostgreSQL: a user's one job is not stuck behind another user's backlog
 * (and with FAIR_DISPATCH=off it is, which shows the test can fail), batches
 * and Idempotency-Keys buy no larger share, USER_MAX_RUNNING caps a user's
 * running jobs without using attempts while other users' jobs still run, and
 * the reconciliation makes the counters honest again. Jobs wait in Redis
 * until a test starts its worker, so the queue's order is what is measured.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../src/context";
import { endFair, enqueuePriorities, fairnessCounts, reconcileFairness, startFair } from "../../src/jobs/fairness";
import { createCommandRedis } from "../../src/queues";
import { type JobWorker, startJobWorker } from "../../src/workers/job-runner";
import { pipelineKinds } from "../fixtures/kinds";
import { spawnWorker, stopWorker, type WorkerProcess } from "../fixtures/spawn";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { PrivateRedis } from "../helpers/private-services";

interface Row {
  id: string;
  user_id: string;
  status: string;
  attempt: number;
  started: number;
  finished: number;
}

async function rows(p: Platform, ids: string[]): Promise<Row[]> {
  return p.ctx.ds.query(
    `SELECT id, user_id, status, attempt, (extract(epoch FROM started_at) * 1000)::float8 AS started, (extract(epoch FROM finished_at) * 1000)::float8 AS finished
       FROM jobs WHERE id = ANY ($1::uuid[])`,
    [ids],
  );
}

async function allSucceeded(p: Platform, ids: string[]): Promise<Row[]> {
  return waitFor(async () => {
    const r = await rows(p, ids);
    return r.length === ids.length && r.every((x) => x.status === "succeeded") ? r : null;
  }, { timeoutMs: 30_000, what: "every job succeeded" });
}

async function batch(p: Platform, key: string, n: number, ms: number, headers: Record<string, string> = {}): Promise<string[]> {
  const r = await p.api(key, "POST", "/api/v1/batches", { jobs: Array.from({ length: n }, () => ({ kind: "test", input: { ms } })) }, headers);
  expect(r.status).toBe(202);
  return r.body.jobs.map((j: { id: string }) => j.id);
}

async function submit(p: Platform, key: string, ms: number, headers: Record<string, string> = {}): Promise<string> {
  const r = await p.api(key, "POST", "/api/v1/jobs", { kind: "test", input: { ms } }, headers);
  expect(r.status).toBe(202);
  await p.handedOff([r.body.id]); // queued before a test starts its worker: the queue's order is what is measured
  return r.body.id;
}

/** Job ids in the order they started (ties: the database's start times are microsecond-exact). */
const startOrder = (r: Row[]) => [...r].sort((a, b) => a.started - b.started).map((x) => x.id);

describe.each([
  ["on", true],
  ["off", false],
])("FAIR_DISPATCH=%s", (flag, fair) => {
  let p: Platform;
  let w: JobWorker | null = null;
  beforeAll(async () => {
    p = await startPlatform({ kinds: pipelineKinds(), worker: false, env: { FAIR_DISPATCH: flag } });
  });
  afterEach(async () => {
    await w?.close(2000);
    w = null;
  });
  afterAll(async () => {
    await p?.close();
  });

  it(fair ? "a user's single job starts before another user's backlog drains" : "is first in, first out: the single job waits for the backlog", async () => {
    const a = await p.user({ credits: 10_000 });
    const b = await p.user({ credits: 100 });
    const backlog = await batch(p, a.key, 12, 150);
    const single = await submit(p, b.key, 150);
    w = startJobWorker(p.ctx, { concurrency: 2 });
    const r = await allSucceeded(p, [...backlog, single]);

    const order = startOrder(r);
    const position = order.indexOf(single);
    if (fair) {
      // A's first job and B's job share priority 1: B's starts with the first two.
      expect(position).toBeLessThan(2);
      const bStarted = r.find((x) => x.id === single)!.started;
      const aLastFinished = Math.max(...r.filter((x) => x.id !== single).map((x) => x.finished));
      expect(bStarted).toBeLessThan(aLastFinished - 400); // six rounds of 150 ms; B is in the first
    } else {
      expect(position).toBe(12);
    }
    // Nothing lost, nothing run twice.
    expect(r.every((x) => x.attempt === 1)).toBe(true);
  });

  it.runIf(fair)("counts only admitted jobs as waiting, each at its own place, when the ledger refuses others of the same statements", async () => {
    // Jobs the ledger refuses must not be counted, or this user's later jobs would queue behind phantoms.
    const a = await p.user({ credits: 30 }); // ten jobs of 3 credits
    const answers = await Promise.all(Array.from({ length: 25 }, () => p.api(a.key, "POST", "/api/v1/jobs", { kind: "test", input: { ms: 0 } })));
    const admitted = answers.filter((r) => r.status === 202).map((r) => r.body.id as string);
    expect(admitted).toHaveLength(10);
    expect(answers.filter((r) => r.status === 402)).toHaveLength(15);
    await p.handedOff(admitted);
    await waitFor(async () => ((await fairnessCounts(p.ctx)).waiting.get(a.id) === 10 ? true : null), { timeoutMs: 5000, what: "ten counted" });
    // Each admitted job is in the queue at a distinct place among this user's waiting jobs (1 … 10, given the
    // statements' order; refused jobs may take a number, never the same one twice).
    const priorities = await Promise.all(admitted.map(async (id) => (await p.ctx.queues.jobs.getJob(id))!.opts.priority!));
    expect(new Set(priorities).size).toBe(10);
    expect(Math.min(...priorities)).toBeGreaterThanOrEqual(1);
    w = startJobWorker(p.ctx, { concurrency: 2 });
    await allSucceeded(p, admitted);
    expect((await fairnessCounts(p.ctx)).waiting.get(a.id) ?? 0).toBe(0);
  });

  it.runIf(fair)("many batches, singles and Idempotency-Keys give a user no larger share", async () => {
    const a = await p.user({ credits: 10_000 });
    const b = await p.user({ credits: 10_000 });
    // A splits 12 jobs into three batches and three keyed singles; B submits three plain jobs after them.
    const aIds = [
      ...(await batch(p, a.key, 3, 50)),
      ...(await batch(p, a.key, 3, 50, { "idempotency-key": randomUUID() })),
      ...(await batch(p, a.key, 3, 50)),
      await submit(p, a.key, 50, { "idempotency-key": randomUUID() }),
      await submit(p, a.key, 50, { "idempotency-key": randomUUID() }),
      await submit(p, a.key, 50, { "idempotency-key": randomUUID() }),
    ];
    const bIds = [await submit(p, b.key, 50), await submit(p, b.key, 50), await submit(p, b.key, 50)];
    w = startJobWorker(p.ctx, { concurrency: 1 });
    const r = await allSucceeded(p, [...aIds, ...bIds]);
    const order = startOrder(r);
    // Round robin by arrival: A1 B1 A2 B2 A3 B3, then the rest of A's.
    const bPositions = bIds.map((id) => order.indexOf(id)).sort((x, y) => x - y);
    expect(bPositions).toEqual([1, 3, 5]);
    // The waiting counts are back to nothing.
    const counts = await fairnessCounts(p.ctx);
    expect(counts.waiting.get(a.id) ?? 0).toBe(0);
    expect(counts.waiting.get(b.id) ?? 0).toBe(0);
  });
});

describe("USER_MAX_RUNNING", () => {
  let p: Platform;
  let w: JobWorker | null = null;
  beforeAll(async () => {
    p = await startPlatform({ kinds: pipelineKinds(), worker: false, env: { USER_MAX_RUNNING: "2", USER_CAP_RETRY_MS: "100" } });
  });
  afterEach(async () => {
    await w?.close(2000);
    w = null;
  });
  afterAll(async () => {
    await p?.close();
  });

  /** Most jobs of each user running at the same time, from the rows' start and finish times. */
  function peakRunning(r: Row[]): Map<string, number> {
    const peaks = new Map<string, number>();
    for (const x of r) {
      const at = r.filter((y) => y.user_id === x.user_id && y.started <= x.started && y.finished > x.started).length;
      peaks.set(x.user_id, Math.max(peaks.get(x.user_id) ?? 0, at));
    }
    return peaks;
  }

  it("caps a user's running jobs while another user's jobs run in the free slots, using no attempt", async () => {
    const a = await p.user({ credits: 10_000 });
    const b = await p.user({ credits: 10_000 });
    const aIds = await batch(p, a.key, 8, 400);
    const bIds = await batch(p, b.key, 2, 400);
    w = startJobWorker(p.ctx, { concurrency: 4 });
    const r = await allSucceeded(p, [...aIds, ...bIds]);
    const peaks = peakRunning(r);
    expect(peaks.get(a.id)).toBe(2);
    expect(peaks.get(b.id)).toBe(2);
    // B did not wait for A's backlog: both its jobs started before A's fourth.
    const aStarts = r.filter((x) => x.user_id === a.id).map((x) => x.started).sort((x, y) => x - y);
    for (const x of r.filter((y) => y.user_id === b.id)) expect(x.started).toBeLessThan(aStarts[3]!);
    // Held back is not failed: one attempt each.
    expect(r.every((x) => x.attempt === 1)).toBe(true);
    expect((await fairnessCounts(p.ctx)).running.get(a.id) ?? 0).toBe(0);
  });

  it("a user alone runs as many jobs as the cap, not more and not fewer", async () => {
    const a = await p.user({ credits: 10_000 });
    const ids = await batch(p, a.key, 6, 400);
    w = startJobWorker(p.ctx, { concurrency: 5 });
    const r = await allSucceeded(p, ids);
    expect(peakRunning(r).get(a.id)).toBe(2);
    expect(r.every((x) => x.attempt === 1)).toBe(true);
  });

  it("runs its scripts again after Redis lost them (a restart, SCRIPT FLUSH)", async () => {
    // On a Redis of its own: flushing the shared one's scripts would reach every other test file's BullMQ.
    const own = await PrivateRedis.start();
    const redis = createCommandRedis(own.url);
    try {
      const ctx: AppContext = { ...p.ctx, redis };
      const a = await p.user({ credits: 10_000 });
      const job = randomUUID();
      await redis.script("FLUSH");
      expect(await enqueuePriorities(ctx, [{ id: job, userId: a.id }])).toEqual([1]);
      await redis.script("FLUSH");
      expect(await startFair(ctx, a.id, job)).toBe(true);
      await endFair(ctx, a.id, job);
      await redis.script("FLUSH");
      await reconcileFairness(ctx);
      const counts = await fairnessCounts(ctx);
      expect(counts.waiting.has(a.id)).toBe(false);
      expect(counts.running.has(a.id)).toBe(false);
    } finally {
      redis.disconnect();
      await own.stop();
    }
  });

  it("reconciliation frees places and waiting counts left by crashes and cancels", async () => {
    const a = await p.user({ credits: 10_000 });
    // Two places taken by runs whose workers died (a job that ended since, and one that never existed) …
    const [ended] = await batch(p, a.key, 1, 0);
    w = startJobWorker(p.ctx, { concurrency: 1 });
    await allSucceeded(p, [ended!]);
    await w.close(2000);
    w = null;
    expect(await startFair(p.ctx, a.id, ended!)).toBe(true);
    expect(await startFair(p.ctx, a.id, randomUUID())).toBe(true);
    // … so the user is at the cap,
    const probe = randomUUID();
    expect(await startFair(p.ctx, a.id, probe)).toBe(false);
    // Two jobs wait; one is canceled while queued (which forgets it at once), and the finished job is
    // still counted as waiting too (as when it was dispatched again just as it ended).
    const [kept, canceled] = await batch(p, a.key, 2, 0);
    expect((await p.api(a.key, "POST", `/api/v1/jobs/${canceled}/cancel`)).status).toBe(200);
    expect(await enqueuePriorities(p.ctx, [{ id: ended!, userId: a.id }])).toEqual([2]);
    let counts = await fairnessCounts(p.ctx);
    expect(counts.running.get(a.id)).toBe(2);
    expect(counts.waiting.get(a.id)).toBe(2);

    const out = await reconcileFairness(p.ctx);
    expect(out.dropped).toBe(3);
    counts = await fairnessCounts(p.ctx);
    expect(counts.running.get(a.id)).toBe(0);
    expect(counts.waiting.get(a.id)).toBe(1); // the queued one stays counted
    expect(await startFair(p.ctx, a.id, probe)).toBe(true);
    await endFair(p.ctx, a.id, probe);

    // The kept job still runs, once; then the user is forgotten.
    w = startJobWorker(p.ctx, { concurrency: 1 });
    const [done] = await allSucceeded(p, [kept!]);
    expect(done!.attempt).toBe(1);
    await reconcileFairness(p.ctx);
    counts = await fairnessCounts(p.ctx);
    expect(counts.waiting.has(a.id)).toBe(false);
  });
});

describe("a worker process SIGKILLed under USER_MAX_RUNNING", () => {
  let p: Platform;
  const spawned: WorkerProcess[] = [];
  // Short locks so the dead worker's job is noticed within seconds.
  const env = { USER_MAX_RUNNING: "1", USER_CAP_RETRY_MS: "100", WORKER_LOCK_DURATION_MS: "2000", WORKER_STALLED_INTERVAL_MS: "1000", WORKER_CONCURRENCY: "2" };
  beforeAll(async () => {
    p = await startPlatform({ kinds: pipelineKinds(), worker: false, env });
  });
  afterAll(async () => {
    await Promise.all(spawned.splice(0).map((w) => stopWorker(w)));
    await p?.close();
  });

  it("its place under the cap goes to the same job run again; the held-back job runs after it; nothing lost or charged twice", async () => {
    const a = await p.user({ credits: 10_000 });
    const [first, second] = await batch(p, a.key, 2, 2500);
    const w1 = spawnWorker(p, env);
    spawned.push(w1);
    await w1.ready;
    const running = await waitFor(async () => {
      const r = await rows(p, [first!, second!]);
      return r.find((x) => x.status === "running") ?? null;
    }, { what: "one job running" });
    await new Promise((r) => setTimeout(r, 300));
    await stopWorker(w1, "SIGKILL");
    // The dead worker's place is still taken (by the job it ran), so the other job is held back …
    expect((await fairnessCounts(p.ctx)).running.get(a.id)).toBe(1);

    const w2 = spawnWorker(p, env);
    spawned.push(w2);
    await w2.ready;
    const r = await allSucceeded(p, [first!, second!]);
    // … until the crashed job has run again (its second attempt) and ended; the held-back one used one attempt.
    const crashed = r.find((x) => x.id === running.id)!;
    const other = r.find((x) => x.id !== running.id)!;
    expect(crashed.attempt).toBe(2);
    expect(other.attempt).toBe(1);
    expect(other.finished).toBeGreaterThan(crashed.finished);
    const charges: { n: number }[] = await p.ctx.ds.query(
      `SELECT count(*)::int AS n FROM ledger_transfers WHERE job_id = ANY ($1::uuid[]) AND type = 'charge'`, [[first, second]],
    );
    expect(charges[0]!.n).toBe(2);
    // The worker frees the place just after the settlement commits (fairRun's finally), so it may lag the row by a moment.
    await waitFor(async () => (((await fairnessCounts(p.ctx)).running.get(a.id) ?? 0) === 0 ? true : null), { timeoutMs: 5000, what: "the place freed" });
  });
});
