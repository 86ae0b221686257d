/** /healthz, /readyz (200 when PostgreSQL and Redis answer, 503 otherwise) and /metrics. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import type { AppContext } from "../../src/context";
import { createDataSource } from "../../src/db/data-source";
import { createRedis } from "../../src/queues";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError } from "./support";

let p: Platform;
/** /metrics needs an admin key (or METRICS_TOKEN; see metrics.test.ts). */
let asAdmin: { headers: { authorization: string } };
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "2" } });
  asAdmin = { headers: { authorization: `Bearer ${(await p.user({ role: "admin" })).key}` } };
});
afterAll(async () => {
  await p?.close();
});

/** Serve an app built on `ctx` on a loopback port for the length of `fn`. */
async function withApp<T>(ctx: AppContext, fn: (url: string) => Promise<T>): Promise<T> {
  const server: Server = await new Promise((resolve) => {
    const s = createApp(ctx).listen(0, "127.0.0.1", () => resolve(s));
  });
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

async function getJson(url: string): ReturnType<Platform["api"]> {
  const r = await fetch(url);
  return { status: r.status, body: await r.json(), headers: r.headers };
}

describe("health and readiness", () => {
  it("healthz answers without a key", async () => {
    expect(await getJson(`${p.url}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("readyz is 200 with both checks when PostgreSQL and Redis answer", async () => {
    const r = await getJson(`${p.url}/readyz`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "ready", checks: { postgres: { ok: true }, redis: { ok: true } } });
    expect(r.headers.get("cache-control")).toBe("no-store");
  });

  it("readyz is 503 unavailable, quickly, when Redis is unreachable", async () => {
    const deadRedis = createRedis("redis://127.0.0.1:1", { lazyConnect: false, retryStrategy: () => 200 });
    deadRedis.on("error", () => undefined);
    try {
      await withApp({ ...p.ctx, redis: deadRedis }, async (url) => {
        const started = Date.now();
        const r = await getJson(`${url}/readyz`);
        expectError(r, 503, "unavailable");
        expect(r.body.error.message).toMatch(/redis/);
        expect(r.body.error.details.checks).toMatchObject({ postgres: { ok: true }, redis: { ok: false } });
        expect(Date.now() - started).toBeLessThan(2000);
      });
    } finally {
      deadRedis.disconnect();
    }
  });

  it("readyz is 503 when PostgreSQL is unreachable, and says which", async () => {
    const deadDs = createDataSource({ url: "postgres://nobody:nothing@127.0.0.1:1/none", poolSize: 1 });
    await withApp({ ...p.ctx, ds: deadDs }, async (url) => {
      const r = await getJson(`${url}/readyz`);
      expectError(r, 503, "unavailable");
      expect(r.body.error.details.checks).toMatchObject({ postgres: { ok: false }, redis: { ok: true } });
    });
  });
});

describe("metrics", () => {
  it("counts requests by route pattern and status, and submitted jobs", async () => {
    const u = await p.user({ credits: 50 });
    await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1 } });
    await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: "x" } });
    expect((await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: {} })).status).toBe(429);
    const id = crypto.randomUUID();
    await p.api(u.key, "GET", `/api/v1/jobs/${id}`);
    await p.api(u.key, "GET", "/api/v1/no-such-route");

    const res = await fetch(`${p.url}/metrics`, asAdmin);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toContain('holdfast_http_requests_total{method="POST",route="/api/v1/jobs",status="202"} 1');
    expect(text).toContain('holdfast_http_requests_total{method="POST",route="/api/v1/jobs",status="400"} 1');
    expect(text).toContain('holdfast_http_requests_total{method="POST",route="/api/v1/jobs",status="429"} 1');
    expect(text).toContain('holdfast_http_requests_total{method="GET",route="/api/v1/jobs/:id",status="404"} 1');
    expect(text).toContain('holdfast_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).not.toContain(id); // raw paths never become labels
    expect(text).toMatch(/holdfast_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/api\/v1\/jobs",status="202"\} \d/);
    expect(text).toContain('holdfast_jobs_submitted_total{kind="test"} 1');
    // The admitted submit's time by phase, once each (the refused ones are not counted): the statement took some.
    // (Recorded when its hand-off to the queue ended, which the 202 does not wait for: long done by now.)
    for (const phase of ["wait", "statement", "handoff"]) expect(text).toContain(`holdfast_submit_phase_seconds_count{phase="${phase}"} 1`);
    const statementSeconds = Number(/holdfast_submit_phase_seconds_sum\{phase="statement"\} ([\d.e-]+)/.exec(text)?.[1]);
    expect(statementSeconds).toBeGreaterThan(0);
    expect(statementSeconds).toBeLessThan(10);
    expect(text).toContain("holdfast_rate_limited_total 1");
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it("each app has its own registry", async () => {
    await withApp(p.ctx, async (url) => {
      await fetch(`${url}/healthz`);
      const text = await (await fetch(`${url}/metrics`, asAdmin)).text();
      expect(text).toContain('holdfast_http_requests_total{method="GET",route="/healthz",status="200"} 1');
      expect(text).not.toContain('route="/api/v1/jobs"');
    });
  });
});
