/**
 * Operations endpoints, outside /api/v1 and without a key (they reveal no
 * user data; keep them off the public internet with the load balancer if the
 * process metrics are considered sensitive):
 *  - /healthz: the process is up (liveness; never touches a dependency).
 *  - /readyz: PostgreSQL answers `select 1` and Redis answers PING, each
 *    within READY_CHECK_TIMEOUT_MS; else 503 in the error envelope.
 *  - /metrics: Prometheus text of this app's registry.
 */
import { sql } from "../db/sql";
import { Router } from "express";
import type { AppContext } from "../context";
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
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
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

  r.get("/metrics", async (_req, res) => {
    res.set("Content-Type", metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  return r;
}
