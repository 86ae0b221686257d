/**
 * Repeated 402s from one API key: a client retrying a job it cannot afford,
 * or probing. Counted where 402s are answered — an error middleware placed
 * just before the error handler — with one Redis INCR per 402 (pipelined
 * with its EXPIRE, not awaited by the response), in fixed windows of
 * ALERT_402_WINDOW_SECONDS shared by every API process. The request that
 * brings a key's count to ALERT_402_THRESHOLD raises a `repeated_402` alert
 * (deduped per key per ALERT_WINDOW_MINUTES like every alert). Requests that
 * are not 402 cost nothing.
 */
import { sql } from "../db/sql";
import type { ErrorRequestHandler } from "express";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { keyHashIfAny, userIfAny } from "../api/auth";
import { raiseAlert, windowBucket } from "./raise";

export function countRepeated402s(ctx: AppContext): ErrorRequestHandler {
  return (err: unknown, req, _res, next) => {
    if (err instanceof AppError && err.status === 402) {
      const keyHash = keyHashIfAny(req);
      const user = userIfAny(req);
      if (keyHash && user) {
        record402(ctx, keyHash, user.id, err.code).catch((e: unknown) => ctx.logger.debug({ err: e }, "could not count a 402"));
      }
    }
    next(err);
  };
}

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
