/**
 * A short PostgreSQL outage must not use up a job's attempts nor run
 * finished work again (the chaos run: a 3 s restart failed jobs, refunded,
 * that never ran). The worker reaches PostgreSQL through a proxy the test
 * takes down and brings back (test/helpers/pg-proxy.ts); the API, which
 * admits the jobs, and the test's checks connect directly.
 *
 *   claim     the worker cannot claim: the job waits without using an
 *             attempt, and runs once the database is back (attempt 1);
 *   deadline  the database stays away past the job's hold deadline: the job
 *             uses its attempts after all and ends failed and refunded once
 *             the database is back — nothing lost, nothing held;
 *   ending    the database goes away while the job runs: its ending is
 *             written once the database is back, and the job ran once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../../src/config";
import { type AppContext, closeContext, createContext } from "../../src/context";
import { type JobKind, KindRegistry } from "../../src/jobs/kind";
import * as ledger from "../../src/ledger";
import { relayOutbox } from "../../src/jobs/tasks/outbox-relay";
import { isDatabaseUnreachable, isDependencyDown } from "../../src/lib/dependency-errors";
import { outageWaitMs } from "../../src/workers/outage";
import { type JobWorker, startJobWorker } from "../../src/workers/job-runner";
import { redisUrl } from "../helpers/db";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { PgProxy } from "../helpers/pg-proxy";

/** Runs of each job (by job id), and when each run finished. */
const runs = new Map<string, number>();
const finishedAt = new Map<string, number>();

/** Costs `cost`, uses `use`, sleeps `ms`; its timeout (which sets the hold's deadline) is `timeoutMs`. */
const countedKind: JobKind<{ cost: number; use: number; ms?: number; timeoutMs?: number }, { ran: number }> = {
  name: "counted",
  description: "Counts its runs.",
  input: z.object({ cost: z.number().int().positive(), use: z.number().int().nonnegative(), ms: z.number().int().nonnegative().optional(),
    timeoutMs: z.number().int().positive().optional() }).strict(),
  estimate: (i) => ({ credits: i.cost, breakdown: [{ item: "counted run", credits: i.cost }] }),
  timeoutMs: (i) => i.timeoutMs ?? 30_000,
  onUserFailure: "measured",
  async run(i, rc) {
    const n = (runs.get(rc.jobId) ?? 0) + 1;
    runs.set(rc.jobId, n);
    if (i.ms) await new Promise((r) => setTimeout(r, i.ms));
    finishedAt.set(rc.jobId, Date.now());
    return { result: { ran: n }, usage: i.use };
  },
};

const ENV = {
  JOB_ATTEMPTS: "2", JOB_BACKOFF_MS: "50", HOLD_TTL_SECONDS: "1",
  JOB_OUTAGE_RETRY_MS: "100", JOB_OUTAGE_RETRY_MAX_MS: "400", FAIR_DISPATCH: "off",
};

let platform: Platform;
let proxy: PgProxy;
let workerCtx: AppContext;
let worker: JobWorker;

beforeAll(async () => {
  const kinds = () => new KindRegistry().register(countedKind);
  platform = await startPlatform({ kinds: kinds(), worker: false, env: ENV });
  proxy = await PgProxy.start(platform.db.url);
  const config = loadConfig({
    NODE_ENV: "test", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", DATABASE_URL: proxy.url, REDIS_URL: redisUrl(),
    QUEUE_PREFIX: platform.ctx.config.QUEUE_PREFIX, ...ENV,
  });
  workerCtx = await createContext(config, { kinds: kinds(), name: "holdfast-test-worker" });
  worker = startJobWorker(workerCtx);
}, 60_000);

afterAll(async () => {
  await proxy?.up();
  await worker?.close(5000);
  if (workerCtx) await closeContext(workerCtx);
  await proxy?.close();
  await platform?.close(); // checks the ledger too
});

afterEach(async () => {
  await proxy.up();
  const report = await platform.db.ds.transaction("REPEATABLE READ", (m) => ledger.checkLedger(m));
  expect(report.ok, ledger.formatReport(report)).toBe(true);
});

interface JobRow {
  status: string;
  attempt: number;
  credits_charged: string;
  credits_refunded: string;
  error_type: string | null;
}

async function row(id: string): Promise<JobRow> {
  const [r] = (await platform.db.ds.query(
    `SELECT status, attempt, credits_charged, credits_refunded, error_type FROM jobs WHERE id = $1`, [id],
  )) as JobRow[];
  return r!;
}

async function submit(key: string, input: Record<string, unknown>): Promise<string> {
  const res = await platform.api(key, "POST", "/api/v1/jobs", { kind: "counted", input });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await platform.handedOff([res.body.id]); // these tests read the job's queue entry next
  return res.body.id as string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("classification and waits", () => {
  it("counts a server that is gone or restarting as unreachable, and SQL errors, timeouts and a closed pool as not", () => {
    const pg = (code: string, message = "x") => ({ name: "QueryFailedError", message, driverError: { code } });
    expect(isDatabaseUnreachable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe(true);
    expect(isDatabaseUnreachable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnreachable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    for (const code of ["57P01", "57P02", "57P03", "08006", "08001", "53300"]) expect(isDatabaseUnreachable(pg(code)), code).toBe(true);
    expect(isDatabaseUnreachable(pg("XX000", "the database system is starting up"))).toBe(true);
    expect(isDatabaseUnreachable(new AggregateError([Object.assign(new Error("refused"), { code: "ECONNREFUSED" })]))).toBe(true);
    // A reachable server refusing the statement, or our own pool being closed: waiting does not help.
    for (const code of ["42P01", "23505", "57014", "55P03", "40001", "40P01", "53200"]) expect(isDatabaseUnreachable(pg(code)), code).toBe(false);
    expect(isDatabaseUnreachable(new Error("Cannot use a pool after calling end on the pool"))).toBe(false);
    expect(isDependencyDown(new Error("Cannot use a pool after calling end on the pool"))).toBe(true); // the 503 classification is unchanged
    expect(isDatabaseUnreachable(new Error("Connection is closed."))).toBe(false); // Redis
    expect(isDatabaseUnreachable(new TypeError("Cannot read properties of undefined"))).toBe(false);
  });

  it("waits grow from the first to the cap, jittered within the upper half", () => {
    expect(outageWaitMs(0, 1000, 30_000, () => 0)).toBe(500);
    expect(outageWaitMs(0, 1000, 30_000, () => 1)).toBe(1000);
    expect(outageWaitMs(3, 1000, 30_000, () => 1)).toBe(8000);
    expect(outageWaitMs(10, 1000, 30_000, () => 1)).toBe(30_000);
    expect(outageWaitMs(10_000, 1000, 30_000, () => 0)).toBe(15_000);
    for (let n = 0; n < 50; n++) {
      const w = outageWaitMs(n, 1000, 30_000);
      expect(w).toBeGreaterThanOrEqual(Math.min(30_000, 1000 * 2 ** n) / 2);
      expect(w).toBeLessThanOrEqual(30_000);
    }
  });
});

describe("a PostgreSQL outage seen by the worker", () => {
  it("claim: the job waits out an outage longer than all its attempts' backoffs, then runs once with attempt 1", async () => {
    const u = await platform.user({ credits: 100 });
    await proxy.down();
    const id = await submit(u.key, { cost: 7, use: 5 });
    // JOB_ATTEMPTS 2 with a 50 ms backoff: without waiting, both attempts would be used within a fraction of this.
    await sleep(2500);
    const bull = await platform.ctx.queues.jobs.getJob(id);
    expect(bull?.attemptsMade).toBe(0);
    expect(bull?.data.outageWaits).toBeGreaterThanOrEqual(3);
    expect(["delayed", "waiting", "active", "prioritized"]).toContain(await bull?.getState());
    expect(await row(id)).toMatchObject({ status: "queued", attempt: 0 });
    expect(runs.get(id)).toBeUndefined();

    await proxy.up();
    await waitFor(async () => (await row(id)).status === "succeeded", { what: "the job to succeed once the database is back", timeoutMs: 15_000 });
    expect(await row(id)).toMatchObject({ status: "succeeded", attempt: 1, credits_charged: "5", credits_refunded: "2", error_type: null });
    expect(runs.get(id)).toBe(1);
    expect(await ledger.balances(platform.db.ds.manager, u.id)).toMatchObject({ available: 95, held: 0 });
  }, 30_000);

  it("deadline: an outage past the hold's deadline ends the job failed and refunded once the database is back", async () => {
    const u = await platform.user({ credits: 100 });
    await proxy.down();
    // Hold deadline: 2 × 200 ms + 50 ms backoff + HOLD_TTL_SECONDS 1 s ≈ 1.5 s after submission.
    const id = await submit(u.key, { cost: 9, use: 9, timeoutMs: 200 });
    const bull = await platform.ctx.queues.jobs.getJob(id);
    const deadline = bull!.data.holdExpiresAt!;
    expect(deadline - Date.now()).toBeLessThan(2000);
    // Past the deadline the job stops waiting: BullMQ spends its attempts and gives up, while the database is still away.
    await waitFor(async () => (await platform.ctx.queues.jobs.getJobState(id)) === "failed", { what: "BullMQ to give the job up", timeoutMs: 10_000 });
    const failed = await platform.ctx.queues.jobs.getJob(id);
    expect(failed!.finishedOn!).toBeGreaterThanOrEqual(deadline - ctxWaitMax());
    expect(failed!.data.outageWaits).toBeGreaterThanOrEqual(1);
    expect(failed!.attemptsMade).toBe(2);
    expect(await ledger.balances(platform.db.ds.manager, u.id)).toMatchObject({ available: 91, held: 9 });

    await proxy.up();
    await waitFor(async () => (await row(id)).status === "failed", { what: "the refund once the database is back", timeoutMs: 15_000 });
    expect(await row(id)).toMatchObject({ status: "failed", credits_charged: "0", credits_refunded: "9", error_type: "system" });
    expect(runs.get(id)).toBeUndefined();
    expect(await ledger.balances(platform.db.ds.manager, u.id)).toMatchObject({ available: 100, held: 0 });
  }, 30_000);

  it("ending: the database goes away while the job runs; its ending is written once it is back, and the job ran once", async () => {
    const u = await platform.user({ credits: 100 });
    const id = await submit(u.key, { cost: 6, use: 4, ms: 1000 });
    await waitFor(async () => runs.get(id) === 1, { what: "the job to start" });
    await proxy.down();
    await waitFor(async () => finishedAt.has(id), { what: "the run to finish" });
    await sleep(2000); // the ending is tried (and fails) meanwhile; BullMQ's retry would have run the job again
    expect(await row(id)).toMatchObject({ status: "running", attempt: 1 });
    const upAt = Date.now();
    await proxy.up();
    await waitFor(async () => (await row(id)).status === "succeeded", { what: "the ending once the database is back", timeoutMs: 15_000 });
    expect(finishedAt.get(id)!).toBeLessThan(upAt);
    expect(await row(id)).toMatchObject({ status: "succeeded", attempt: 1, credits_charged: "4", credits_refunded: "2" });
    expect(runs.get(id)).toBe(1);
    expect(await ledger.balances(platform.db.ds.manager, u.id)).toMatchObject({ available: 96, held: 0 });
    await sleep(500); // nothing runs it again later
    expect(runs.get(id)).toBe(1);
  }, 30_000);

  it("ending, answer lost: the ending committed but the connection died before its answer; the retry changes nothing", async () => {
    const u = await platform.user({ credits: 100 });
    const down = proxy.loseAnswer("holdfast_settle_jobs");
    const id = await submit(u.key, { cost: 8, use: 3, ms: 200 });
    await down;
    // Committed although the worker never heard so.
    await waitFor(async () => (await row(id)).status === "succeeded", { what: "the ending to commit" });
    await sleep(1000);
    await proxy.up();
    // The worker's retry meets the fence (succeeded, not running at attempt 1): nothing is written twice; BullMQ completes the job.
    await waitFor(async () => (await platform.ctx.queues.jobs.getJobState(id)) === "completed", { what: "BullMQ to complete the job", timeoutMs: 15_000 });
    expect(await row(id)).toMatchObject({ status: "succeeded", attempt: 1, credits_charged: "3", credits_refunded: "5" });
    expect(runs.get(id)).toBe(1);
    expect(await ledger.balances(platform.db.ds.manager, u.id)).toMatchObject({ available: 97, held: 0 });
  }, 30_000);
});

describe("the hold's deadline travels with the job", () => {
  it("admission and the outbox relay both hand it to BullMQ", async () => {
    const u = await platform.user({ credits: 100 });
    await worker.close(5000); // no worker takes the job meanwhile
    const id = await submit(u.key, { cost: 2, use: 2 });
    const [{ expires_at }] = (await platform.db.ds.query(
      `SELECT p.expires_at FROM ledger_pending p JOIN jobs j ON j.hold_transfer_id = p.transfer_id WHERE j.id = $1`, [id],
    )) as { expires_at: Date }[];
    expect((await platform.ctx.queues.jobs.getJob(id))?.data.holdExpiresAt).toBe(expires_at.getTime());
    // Redis loses the job before any worker saw it: the relay dispatches it again, deadline included.
    expect(await platform.ctx.queues.jobs.remove(id)).toBe(1);
    expect((await relayOutbox(platform.ctx, new Date(Date.now() + 1000), { afterMs: 0 })).relayed).toBe(1);
    expect((await platform.ctx.queues.jobs.getJob(id))?.data.holdExpiresAt).toBe(expires_at.getTime());
    worker = startJobWorker(workerCtx);
    await waitFor(async () => (await row(id)).status === "succeeded", { what: "the relayed job to run" });
    expect(runs.get(id)).toBe(1);
  });
});

/** The longest single wait (JOB_OUTAGE_RETRY_MAX_MS): how far before its deadline a job may stop waiting. */
function ctxWaitMax(): number {
  return workerCtx.config.JOB_OUTAGE_RETRY_MAX_MS;
}
