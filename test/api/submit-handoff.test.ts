/**
 * A single job's 202 follows its commit, not its hand-off to BullMQ
 * (src/jobs/admission.ts): with Redis refusing writes for a while, a submit
 * is answered at once and its queue entry arrives once Redis takes writes
 * again; a cancel sent meanwhile waits for that hand-off, so it takes the
 * entry out; and the API's shutdown (drain) waits for hand-offs under way.
 * A private redis-server, since CLIENT PAUSE stops every client of it.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { servicesOf } from "../../src/api/services";
import * as ledger from "../../src/ledger";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { PrivateRedis } from "../helpers/private-services";

let redis: PrivateRedis;
let admin: Redis;
let p: Platform;
const PAUSE_MS = 1500;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  admin = new Redis(redis.url);
  // Rate limiting off (its counters are Redis writes); a queue bound well above the pause, so the add waits it out.
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: "0", REDIS_COMMAND_TIMEOUT_MS: "5000" } });
}, 30_000);
afterAll(async () => {
  await p?.close();
  admin?.disconnect();
  await redis?.stop();
});

/** Whether the API's hand-off of the job ended within `ms` (Redis reads would wait out the pause too). */
function handedOffWithin(id: string, ms: number): Promise<boolean> {
  return Promise.race([servicesOf(p.app)!.admission.handedOff([id]).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

async function submitDuringPause(key: string): Promise<{ id: string; ms: number }> {
  await admin.call("CLIENT", "PAUSE", String(PAUSE_MS), "WRITE");
  const started = performance.now();
  const r = await p.api(key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 2 } });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return { id: r.body.id, ms: performance.now() - started };
}

it("answers at commit while Redis takes no writes; the queue entry arrives afterwards; a cancel meanwhile waits for it and takes it out", async () => {
  const u = await p.user({ credits: 100 });
  const first = await submitDuringPause(u.key);
  expect(first.ms).toBeLessThan(PAUSE_MS / 2);
  expect(await handedOffWithin(first.id, 100)).toBe(false); // not in the queue yet …
  expect((await ledger.balances(p.ctx.ds.manager, u.id)).held).toBe(2); // … but committed, with its hold

  const started = performance.now();
  const cancel = await p.api(u.key, "POST", `/api/v1/jobs/${first.id}/cancel`);
  expect(cancel.status).toBe(200);
  expect(cancel.body.status).toBe("canceled");
  expect(performance.now() - started).toBeGreaterThan(PAUSE_MS / 2 - first.ms); // it waited for the hand-off
  expect(await p.ctx.queues.jobs.getJob(first.id)).toBeUndefined(); // which it then took out
  expect((await ledger.balances(p.ctx.ds.manager, u.id)).held).toBe(0);
});

it("drain waits for the hand-offs under way", async () => {
  const u = await p.user({ credits: 100 });
  const job = await submitDuringPause(u.key);
  expect(await handedOffWithin(job.id, 100)).toBe(false);
  await servicesOf(p.app)!.admission.drain(10_000);
  expect(await handedOffWithin(job.id, 0)).toBe(true); // drain ended after the hand-off did …
  expect(await p.ctx.queues.jobs.getJob(job.id)).toBeDefined(); // … which queued the job

  // And it gives up after its timeout rather than hang (Redis refusing writes longer than that).
  const stuck = await submitDuringPause(u.key);
  const started = performance.now();
  await servicesOf(p.app)!.admission.drain(200);
  expect(performance.now() - started).toBeLessThan(PAUSE_MS / 2);
  expect(await handedOffWithin(stuck.id, 0)).toBe(false);
  await servicesOf(p.app)!.admission.handedOff([stuck.id]);
});
