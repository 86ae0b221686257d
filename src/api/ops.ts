/**
 * Operations endpoints, outside /api/v1:
 *  - /healthz: the process is up (liveness; never touches a dependency). No key.
 *  - /readyz: PostgreSQL answers `select 1` and Redis answers PING, each
 *    within READY_CHECK_TIMEOUT_MS; else 503 in the error envelope. No key.
 *  - /metrics: Prometheus text of this app's registry, money metrics
 *    included; needs an admin API key or METRICS_TOKEN (401 otherwise).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type RequestHandler, Router } from "express";
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { hashApiKey } from "../users/api-keys";
import { findUserByKeyHash } from "../users/users";
import { deadline } from "../lib/deadline";
import { errorBody } from "./error-handler";
import type { ApiMetrics } from "./metrics";

/** Per-dependency budget of a readiness probe in ms: well under a typical probe timeout (1 s). */
export const READY_CHECK_TIMEOUT_MS = 800;

export interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
}

async function timed(probe: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  try {
    await deadline(probe(), timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`));
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  }
}

export async function readiness(ctx: AppContext, timeoutMs = READY_CHECK_TIMEOUT_MS): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
  const [postgres, redis] = await Promise.all([
    timed(() => sql(ctx.ds, "select 1"), timeoutMs),
    timed(async () => {
      // ctx.redis has no offline queue, so a PING fails at once while it is not connected; the
      // status check also covers a client that would queue (a worker-style connection).
      if (["reconnecting", "close", "end"].includes(ctx.redis.status)) throw new Error(`connection is ${ctx.redis.status}`);
      // Still making its first connection (a process just started): wait for it within the budget.
      if (ctx.redis.status !== "ready") {
        await new Promise<void>((resolve, reject) => {
          const onReady = () => {
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            ctx.redis.off("ready", onReady);
            reject(new Error(`connection is ${ctx.redis.status}`));
          }, timeoutMs);
          ctx.redis.once("ready", onReady);
        });
      }
      return ctx.redis.ping();
    }, timeoutMs),
  ]);
  return { ready: postgres.ok && redis.ok, checks: { postgres, redis } };
}

export function opsRouter(ctx: AppContext, metrics: ApiMetrics): Router {
  const r = Router();

  r.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  r.get("/readyz", async (_req, res) => {
    const { ready, checks } = await readiness(ctx);
    res.set("Cache-Control", "no-store");
    if (ready) {
      res.json({ status: "ready", checks });
      return;
    }
    const down = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    ctx.logger.warn({ checks }, "not ready");
    res.status(503).json(errorBody("unavailable", `Not ready: ${down.join(" and ")} unreachable.`, { checks }));
  });

  r.get("/metrics", metricsAuth(ctx), async (_req, res) => {
    res.set("Content-Type", metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  return r;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * /metrics: `Authorization: Bearer <METRICS_TOKEN>` (what a Prometheus scrape
 * config sends) or an admin API key; anything else is 401 (a user key too:
 * the metrics are system-wide). The token is compared in constant time.
 */
export function metricsAuth(ctx: AppContext): RequestHandler {
  const cache = ctx.authCache;
  const token = ctx.config.METRICS_TOKEN ? sha256(ctx.config.METRICS_TOKEN) : null;
  return async (req, _res, next) => {
    const m = BEARER.exec(req.get("authorization") ?? "");
    const refuse = () => new AppError("unauthenticated", "/metrics needs an admin API key or the METRICS_TOKEN: `Authorization: Bearer <token>`.");
    if (!m) throw refuse();
    if (token && timingSafeEqual(sha256(m[1]!), token)) return next();
    const keyHash = hashApiKey(m[1]!);
    const user = await cache.get(keyHash, () => findUserByKeyHash(ctx.ds, keyHash));
    if (user?.role !== "admin") throw refuse();
    next();
  };
}
