/**
 * Per-key rate limit on credit-consuming routes, counted in Redis:
 * RATE_LIMIT_PER_MINUTE=5 → the 6th request in a minute is 429 with
 * Retry-After and holds nothing; other keys and other routes are unaffected.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError, ledgerState } from "./support";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "5" } });
});
afterAll(async () => {
  await p?.close();
});

const job = { kind: "test", input: { cost: 1 } };

it("the 6th submission in a minute is 429 rate_limited with Retry-After, and holds nothing", async () => {
  const a = await p.user({ credits: 100 });
  const remaining: (string | null)[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await p.api(a.key, "POST", "/api/v1/jobs", job);
    expect(r.status).toBe(202);
    expect(r.headers.get("x-ratelimit-limit")).toBe("5");
    remaining.push(r.headers.get("x-ratelimit-remaining"));
  }
  expect(remaining).toEqual(["4", "3", "2", "1", "0"]);

  const sixth = await p.api(a.key, "POST", "/api/v1/jobs", job);
  expectError(sixth, 429, "rate_limited");
  const retryAfter = Number(sixth.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(sixth.headers.get("x-ratelimit-remaining")).toBe("0");
  expect(sixth.body.error.details).toMatchObject({ limit: 5, retry_after_seconds: retryAfter });
  expect(await ledgerState(p, a.id)).toMatchObject({ jobs: 5, pending_holds: 5, held: 5 });

  // Estimates share the key's budget; reading is not limited.
  expectError(await p.api(a.key, "POST", "/api/v1/estimates", job), 429, "rate_limited");
  expect((await p.api(a.key, "GET", "/api/v1/jobs")).status).toBe(200);
  expect((await p.api(a.key, "GET", "/api/v1/credits/balance")).status).toBe(200);

  // Another key is unaffected.
  const b = await p.user({ credits: 100 });
  const rb = await p.api(b.key, "POST", "/api/v1/jobs", job);
  expect(rb.status).toBe(202);
  expect(rb.headers.get("x-ratelimit-remaining")).toBe("4");
});

it("the budget lives in Redis: a second API process sharing the prefix shares it", async () => {
  const u = await p.user({ credits: 100 });
  const second = createApp(p.ctx);
  const server = await new Promise<Server>((resolve) => {
    const s = second.listen(0, "127.0.0.1", () => resolve(s));
  });
  try {
    const url2 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const send = (base: string) => fetch(`${base}/api/v1/jobs`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${u.key}` }, body: JSON.stringify(job),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await send(i % 2 ? url2 : p.url)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
