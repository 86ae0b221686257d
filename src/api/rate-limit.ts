/**
 * Per-API-key rate limit for the routes that consume credits (POST /jobs,
 * /batches, /estimates): RATE_LIMIT_PER_MINUTE requests per key in a fixed
 * 60 s window, counted in Redis so every API process shares one budget
 * (default 600; 0 turns it off). Over the limit → 429 rate_limited with
 * Retry-After; every limited response carries X-RateLimit-Limit/Remaining.
 *
 * Redis down: the limiter fails open (the request goes on, a warning is
 * logged). Limiting protects capacity, not money — the ledger admits every
 * hold on its own — and Redis trouble must not stop the API from accepting
 * paid work (the relay dispatches it later).
 */
import type { RequestHandler } from "express";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { currentKeyHash } from "./auth";
import { apiMetrics } from "./metrics";

const WINDOW_SECONDS = 60;

/**
 * Build the middleware once per router. Every instance with the same
 * QUEUE_PREFIX counts in the same Redis keys, so /jobs and /batches share a
 * key's budget even when their routers each build one.
 */
export function creditRateLimit(ctx: AppContext): RequestHandler {
  return keyRateLimit(ctx, { name: "ratelimit", points: ctx.config.RATE_LIMIT_PER_MINUTE, what: "requests" });
}

export interface KeyRateLimitOptions {
  /** Redis key segment of this budget ("ratelimit" is the credit routes' one). */
  name: string;
  /** Per key per minute; 0 turns the limit off. */
  points: number;
  /** What is counted, for the message ("uploads", "purchases" …). */
  what: string;
}

/** A per-API-key budget per minute, shared by every API process (same rules as creditRateLimit). */
export function keyRateLimit(ctx: AppContext, opts: KeyRateLimitOptions): RequestHandler {
  const points = opts.points;
  if (points === 0) return (_req, _res, next) => next();
  const limiter = new RateLimiterRedis({
    storeClient: ctx.redis,
    keyPrefix: `${ctx.config.QUEUE_PREFIX}:${opts.name}`,
    points,
    duration: WINDOW_SECONDS,
    // Do not wait for a reconnecting client: fail fast, then open.
    rejectIfRedisNotReady: true,
  });

  return async (req, res, next) => {
    let r: RateLimiterRes;
    try {
      r = await limiter.consume(currentKeyHash(req), 1);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) {
        ctx.logger.warn({ err: e }, "rate limiter unavailable; letting the request through");
        return next();
      }
      const retryAfter = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      res.set({ "Retry-After": String(retryAfter), "X-RateLimit-Limit": String(points), "X-RateLimit-Remaining": "0" });
      apiMetrics(req)?.rateLimited.inc();
      throw new AppError("rate_limited", `Too many ${opts.what} for this API key: the limit is ${points} per minute. Retry in ${retryAfter} s.`, {
        limit: points, window_seconds: WINDOW_SECONDS, retry_after_seconds: retryAfter,
      });
    }
    res.set({ "X-RateLimit-Limit": String(points), "X-RateLimit-Remaining": String(r.remainingPoints) });
    next();
  };
}
