/**
 * Recovery beyond the head of the backlog: more live jobs than one page (and
 * than one round) lost from Redis are all dispatched again by the relay and
 * by the reconciliation, round after round, none refunded. Small pages and
 * round bounds stand in for the production 500 / 10,000.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { relayOutbox } from "../../src/jobs/tasks/outbox-relay";
import { reconcileQueue } from "../../src/jobs/tasks/reconcile-queue";
import { startJobWorker } from "../../src/workers/job-runner";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

let p: Platform;
const later = (ms: number) => new Date(Date.now() + ms);

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false });
});
afterAll(async () => {
  await p?.close();
});

async function submitMany(key: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await p.api(key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1 } });
    expect(r.status).toBe(202);
    ids.push(r.body.id);
  }
  await p.handedOff(ids); // in the queue before the test takes Redis's data away
  return ids;
}

/** Redis lost everything (restarted without its data). */
async function loseAll(): Promise<void> {
  await p.ctx.queues.jobs.obliterate({ force: true });
  expect(await p.ctx.queues.jobs.getJobCountByTypes("waiting")).toBe(0);
}

async function inQueue(ids: string[]): Promise<number> {
  const states = await Promise.all(ids.map((id) => p.ctx.queues.jobs.getJobState(id)));
  return states.filter((s) => s === "waiting" || s === "prioritized").length; // prioritized: fair dispatch (src/jobs/fairness.ts)
}

it("the relay goes past a head of jobs that wait in BullMQ: every lost job is re-added within a few bounded rounds", async () => {
  const u = await p.user({ credits: 100 });
  const ids = await submitMany(u.key, 23);
  await loseAll();
  const opts = { batch: 4, maxPerRound: 8 };
  const rounds = [];
  for (let i = 0; i < 4; i++) rounds.push(await relayOutbox(p.ctx, later(60_000), opts));
  // 8 + 8 + 7 relayed, then a full pass finds all of them waiting.
  expect(rounds.map((r) => r.relayed)).toEqual([8, 8, 7, 0]);
  expect(await inQueue(ids)).toBe(23);
  // Out of the next test's way.
  for (const id of ids) expect((await p.api(u.key, "POST", `/api/v1/jobs/${id}/cancel`)).status).toBe(200);
});

it("reconciliation covers every live job across rounds; all run, none refunded", async () => {
  const u = await p.user({ credits: 100 });
  const ids = await submitMany(u.key, 23);
  await loseAll();
  const opts = { staleMs: 0, page: 4, maxPerRound: 8 };
  let redispatched = 0;
  for (let i = 0; i < 4; i++) redispatched += (await reconcileQueue(p.ctx, later(60_000), opts)).redispatched;
  expect(redispatched).toBe(23);
  expect(await inQueue(ids)).toBe(23);

  const w = startJobWorker(p.ctx);
  try {
    await waitFor(async () => {
      const rows: { n: number }[] = await p.ctx.ds.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND status = 'succeeded'`, [ids]);
      return rows[0]!.n === 23;
    }, { what: "all 23 jobs succeeded" });
  } finally {
    await w.close(2000);
  }
  const refunded: { n: number }[] = await p.ctx.ds.query(`SELECT count(*)::int AS n FROM jobs WHERE user_id = $1 AND credits_refunded > 0`, [u.id]);
  expect(refunded[0]!.n).toBe(0);
});
