/**
 * Repeated 402s from one API key: a client retrying a job it cannot afford,
 * or probing. The API counts each 402 it answers (countRepeated402s in
 * src/api/error-handler.ts, just before the error handler) with one Redis
 * INCR (pipelined with its EXPIRE, not awaited by the response), in fixed
 * windows of ALERT_402_WINDOW_SECONDS shared by every API process. The
 * request that brings a key's count to ALERT_402_THRESHOLD raises a
 * `repeated_402` alert (deduped per key per ALERT_WINDOW_MINUTES like every
 * alert). Requests that are not 402 cost nothing.
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import { raiseAlert, windowBucket } from "./raise";

/** Count one 402 for this key; raises the alert when the count reaches the threshold. Returns the count (null: not counted). */
export async function record402(ctx: AppContext, keyHash: string, userId: string, code: string): Promise<number | null> {
  // A client that lost Redis queues commands until it is back: skip counting rather than pile them up.
  if (ctx.redis.status !== "ready") return null;
  const c = ctx.config;
  const now = ctx.clock.now();
  const windowMs = c.ALERT_402_WINDOW_SECONDS * 1000;
  const key = `${c.QUEUE_PREFIX}:alerts:402:${keyHash}:${windowBucket(now, windowMs)}`;
  const res = await ctx.redis.multi().incr(key).pexpire(key, windowMs * 2).exec();
  const count = Number(res?.[0]?.[1] ?? 0);
  if (count !== c.ALERT_402_THRESHOLD) return count;
  const keys = await sql<{ id: string; prefix: string }>(ctx.ds, `SELECT id, prefix FROM api_keys WHERE key_hash = $1`, [keyHash]);
  const apiKey = keys[0];
  await raiseAlert(ctx, {
    type: "repeated_402", subject: apiKey?.id ?? keyHash, userId, now,
    summary: `API key ${apiKey?.prefix ?? "?"}… of user ${userId} got ${count} 402 answers within ${c.ALERT_402_WINDOW_SECONDS} s`,
    details: {
      key_id: apiKey?.id ?? null, key_prefix: apiKey?.prefix ?? null, count, last_code: code,
      threshold: c.ALERT_402_THRESHOLD, window_seconds: c.ALERT_402_WINDOW_SECONDS,
    },
  });
  return count;
}
