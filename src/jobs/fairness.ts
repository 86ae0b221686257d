/**
 * Fair dispatch across users on open-source BullMQ (FAIR_DISPATCH, on by default).
 *
 * BullMQ runs prioritized jobs lowest priority number first, first in first
 * out within one number (score = priority · 2³² + an insertion counter, so the
 * number is capped at 2²¹ − 1). Each job is queued at priority k = its user's
 * count of waiting jobs, itself included: a user's k-th waiting job competes
 * with the other users' k-th jobs, so users with work waiting take turns in
 * the order of arrival and one job never waits behind another user's backlog.
 * A user alone still gets every worker: priorities only order the queue.
 *
 * The count is a Redis set per user of the ids of its waiting jobs: a job
 * joins when it is queued and leaves when a worker starts it. Sets make every
 * step idempotent (a duplicate dispatch or delivery counts once), and the
 * reconciliation removes ids whose job is no longer queued in PostgreSQL
 * (canceled or refunded while waiting, a worker that died in between), so
 * the counts stay honest. Nothing here decides whether a job runs: a failure
 * of these calls is logged and the job runs as if fairness were off.
 *
 * Fairness is per user, whatever the API key, batch or Idempotency-Key: more
 * keys or batches buy no larger share.
 *
 * USER_MAX_RUNNING: a sorted set per user of its running job ids, scored with
 * a lease deadline. A worker that fetches a job of a user already at the cap
 * moves it to BullMQ's delayed set for USER_CAP_RETRY_MS without using an
 * attempt (Job.moveToDelayed skips the attempt count, DelayedError tells the
 * worker it was moved) and fetches the next job — another user's, if any
 * waits. A worker that dies leaves its id behind until the job runs again
 * elsewhere (same id, counted once), ends (reconciliation), or the lease passes.
 *
 * Jitter on the time out keeps jobs held back together from coming back together.
 *
 * Known limit: a job keeps the priority it was queued with. A user whose
 * backlog was queued long ago has high numbers left while a newcomer's burst
 * starts at 1, so the newcomer goes first until the numbers meet — bounded by
 * the older user's backlog, never starving it.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { AppContext } from "../context";
import { jobStatuses } from "./store";

/** BullMQ's largest priority (2²¹ − 1): deeper backlogs share it, first in first out. */
export const MAX_PRIORITY = 2 ** 21 - 1;

/** Lease of a running job's place under the cap until its own timeout is known (ms). */
const START_LEASE_MS = 15 * 60_000;
/** Beyond a job's timeout, how long its place is kept (ms): the ending and a retry's claim come first. */
const LEASE_MARGIN_MS = 60_000;

export function fairOn(ctx: AppContext): boolean {
  return ctx.config.FAIR_DISPATCH === "on";
}

const keys = (prefix: string) => ({
  users: `${prefix}:fair:users`,
  waiting: (userId: string) => `${prefix}:fair:waiting:${userId}`,
  running: (userId: string) => `${prefix}:fair:running:${userId}`,
});

/** A Lua script with its SHA1, computed once: EVALSHA sends neither the body nor makes Redis hash it again. */
interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/**
 * Run a script by its SHA (these run once per submit statement and once per
 * job start), sending its body only on a NOSCRIPT (a new or restarted Redis).
 */
async function runScript(redis: Redis, s: Script, numKeys: number, args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, numKeys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    return redis.eval(s.lua, numKeys, ...args);
  }
}

/** KEYS: users set, then one waiting set per job. ARGV: the job ids, then their user ids, then the cap. */
const ENQUEUE = script(`
local n = #KEYS - 1
local cap = tonumber(ARGV[2 * n + 1])
local out = {}
for i = 1, n do
  redis.call("SADD", KEYS[i + 1], ARGV[i])
  redis.call("SADD", KEYS[1], ARGV[n + i])
  local c = redis.call("SCARD", KEYS[i + 1])
  if c > cap then c = cap end
  out[i] = c
end
return out`);

/**
 * KEYS: waiting set, running set. ARGV: job id, now, lease deadline, cap (0 = none).
 * 1 = start it (it leaves the waiting set, and with a cap takes a place), 0 = over the cap.
 */
const START = script(`
local cap = tonumber(ARGV[4])
if cap > 0 then
  redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", ARGV[2])
  if not redis.call("ZSCORE", KEYS[2], ARGV[1]) and redis.call("ZCARD", KEYS[2]) >= cap then return 0 end
  redis.call("ZADD", KEYS[2], ARGV[3], ARGV[1])
end
redis.call("SREM", KEYS[1], ARGV[1])
return 1`);

/** KEYS: users set, waiting set, running set. ARGV: user id. Forget a user with nothing waiting or running. */
const FORGET = script(`
if redis.call("SCARD", KEYS[2]) == 0 and redis.call("ZCARD", KEYS[3]) == 0 then
  redis.call("SREM", KEYS[1], ARGV[1])
  return 1
end
return 0`);

/**
 * Count each job as waiting for its user; its BullMQ priority (1 = the
 * user's only waiting job). Jobs in the order given, so a batch's own jobs
 * keep their order.
 */
export async function enqueuePriorities(ctx: AppContext, jobs: { id: string; userId: string }[]): Promise<number[]> {
  if (jobs.length === 0) return [];
  const k = keys(ctx.config.QUEUE_PREFIX);
  const out = (await runScript(ctx.redis, ENQUEUE, jobs.length + 1,
    [k.users, ...jobs.map((j) => k.waiting(j.userId)), ...jobs.map((j) => j.id), ...jobs.map((j) => j.userId), MAX_PRIORITY],
  )) as number[];
  return out.map((p) => Math.max(1, Math.min(MAX_PRIORITY, Number(p))));
}

/** A job canceled while it waited no longer counts as waiting (the reconciliation would drop it later anyway). */
export async function forgetWaiting(ctx: AppContext, userId: string, jobId: string): Promise<void> {
  await ctx.redis.srem(keys(ctx.config.QUEUE_PREFIX).waiting(userId), jobId);
}

/** A worker is about to run this job: false when its user is at USER_MAX_RUNNING. */
export async function startFair(ctx: AppContext, userId: string, jobId: string): Promise<boolean> {
  const k = keys(ctx.config.QUEUE_PREFIX);
  const now = ctx.clock.now().getTime();
  const r = await runScript(ctx.redis, START, 2, [k.waiting(userId), k.running(userId), jobId, now, now + START_LEASE_MS, ctx.config.USER_MAX_RUNNING]);
  return Number(r) === 1;
}

/** The run's timeout is known (after its claim): keep its place under the cap that long. */
export async function leaseFair(ctx: AppContext, userId: string, jobId: string, timeoutMs: number): Promise<void> {
  if (ctx.config.USER_MAX_RUNNING <= 0) return;
  const until = ctx.clock.now().getTime() + timeoutMs + LEASE_MARGIN_MS;
  await ctx.redis.zadd(keys(ctx.config.QUEUE_PREFIX).running(userId), "XX", until, jobId);
}

/** The run ended (any way): its place under the cap is free. */
export async function endFair(ctx: AppContext, userId: string, jobId: string): Promise<void> {
  if (ctx.config.USER_MAX_RUNNING <= 0) return;
  await ctx.redis.zrem(keys(ctx.config.QUEUE_PREFIX).running(userId), jobId);
}

export interface FairnessCounts {
  /** Jobs counted as waiting, and as running, by user. */
  waiting: Map<string, number>;
  running: Map<string, number>;
}

/** What the counters say now (for tests and operators). */
export async function fairnessCounts(ctx: AppContext): Promise<FairnessCounts> {
  const k = keys(ctx.config.QUEUE_PREFIX);
  const users = await ctx.redis.smembers(k.users);
  const out: FairnessCounts = { waiting: new Map(), running: new Map() };
  for (const u of users) {
    out.waiting.set(u, await ctx.redis.scard(k.waiting(u)));
    out.running.set(u, await ctx.redis.zcard(k.running(u)));
  }
  return out;
}

/**
 * Make the counters honest again (run by the queue reconciliation): an id
 * counted as waiting whose job is no longer `queued`, or as running whose job
 * is final or gone, is dropped. A job queued again for a retry is not counted
 * as waiting, so its user's new jobs get no worse a place for it.
 */
export async function reconcileFairness(ctx: AppContext, chunk = 1000): Promise<{ users: number; dropped: number }> {
  const k = keys(ctx.config.QUEUE_PREFIX);
  const users = await ctx.redis.smembers(k.users);
  let dropped = 0;
  for (const u of users) {
    const [waiting, running] = await Promise.all([ctx.redis.smembers(k.waiting(u)), ctx.redis.zrange(k.running(u), 0, -1)]);
    for (let i = 0; i < waiting.length; i += chunk) {
      const part = waiting.slice(i, i + chunk);
      const statuses = await jobStatuses(ctx.ds, part);
      const stale = part.filter((id) => statuses.get(id) !== "queued");
      if (stale.length > 0) dropped += await ctx.redis.srem(k.waiting(u), ...stale);
    }
    for (let i = 0; i < running.length; i += chunk) {
      const part = running.slice(i, i + chunk);
      const statuses = await jobStatuses(ctx.ds, part);
      const stale = part.filter((id) => !["queued", "running"].includes(statuses.get(id) ?? ""));
      if (stale.length > 0) dropped += await ctx.redis.zrem(k.running(u), ...stale);
    }
    await runScript(ctx.redis, FORGET, 3, [k.users, k.waiting(u), k.running(u), u]);
  }
  return { users: users.length, dropped };
}
