/**
 * PostgreSQL stopped `-m immediate` and restarted while requests flow: every
 * answer is a success or 503 `unavailable` with Retry-After, never a 500; and
 * the API recovers by itself. PostgreSQL here is a private cluster the test
 * starts (initdb in a temp dir) and crashes; Redis is the shared one.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { createHttpServer } from "../../src/api/server";
import { loadConfig } from "../../src/config";
import { type AppContext, closeContext, createContext } from "../../src/context";
import { connectAndMigrate } from "../../src/db/data-source";
import * as ledger from "../../src/ledger";
import { isDependencyDown } from "../../src/lib/dependency-errors";
import { createUser } from "../../src/users/users";
import { redisUrl, testPrefix } from "../helpers/db";
import { testKinds } from "../helpers/kinds";
import { waitFor } from "../helpers/platform";
import { PrivatePostgres } from "../helpers/private-services";

let pg: PrivatePostgres;
let ctx: AppContext;
let server: Server;
let base = "";

beforeAll(async () => {
  pg = await PrivatePostgres.start();
  const url = await pg.createDatabase("holdfast");
  await (await connectAndMigrate({ url, poolSize: 1 })).destroy();
  const config = loadConfig({
    NODE_ENV: "test", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", DATABASE_URL: url, REDIS_URL: redisUrl(), QUEUE_PREFIX: testPrefix("pgdown"),
    // Every request looks its key up, so every request needs the database.
    AUTH_CACHE_TTL_MS: "0", RATE_LIMIT_PER_MINUTE: "0",
  });
  ctx = await createContext(config, { kinds: testKinds(), name: "holdfast-test" });
  server = await new Promise((resolve) => {
    const s = createHttpServer(createApp(ctx)).listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await ctx?.queues.jobs.obliterate({ force: true }).catch(() => undefined);
  if (ctx) await closeContext(ctx);
  await pg?.destroy();
});

async function call(key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text, retryAfter: res.headers.get("retry-after") };
}

it("classifies connection failures and restart SQLSTATEs as a dependency being down, and bugs as not", () => {
  expect(isDependencyDown(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
  expect(isDependencyDown(new Error("Connection terminated unexpectedly"))).toBe(true);
  expect(isDependencyDown(new Error("timeout exceeded when trying to connect"))).toBe(true);
  for (const code of ["57P01", "57P02", "57P03", "08006", "08001", "53300", "55P03", "57014"]) {
    expect(isDependencyDown({ name: "QueryFailedError", message: "x", driverError: { code } }), code).toBe(true);
  }
  expect(isDependencyDown(new Error("boom", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) }))).toBe(true);
  expect(isDependencyDown(Object.assign(new Error('relation "nope" does not exist'), { code: "42P01" }))).toBe(false);
  expect(isDependencyDown(new TypeError("Cannot read properties of undefined"))).toBe(false);
});

it("answers 503 with Retry-After, never 500, while PostgreSQL crashes and restarts, and recovers by itself", async () => {
  const { user, apiKey } = await createUser(ctx.ds.manager, { email: `${randomUUID()}@example.com` });
  await ledger.grant(ctx.ds.manager, { id: randomUUID(), userId: user.id, amount: 100_000, category: "admin" });

  const answers: { status: number; body: string; retryAfter: string | null; what: string }[] = [];
  let flowing = true;
  const client = async (what: string, send: () => Promise<Awaited<ReturnType<typeof call>>>) => {
    while (flowing) {
      try {
        answers.push({ ...(await send()), what });
      } catch (err) {
        answers.push({ status: 0, body: String(err), retryAfter: null, what });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const clients = [
    client("balance", () => call(apiKey, "GET", "/api/v1/credits/balance")),
    client("submit", () => call(apiKey, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1 } })),
    client("keyed submit", () => call(apiKey, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1 } }, { "idempotency-key": randomUUID() })),
    client("list", () => call(apiKey, "GET", "/api/v1/jobs?limit=5")),
    client("batch", () => call(apiKey, "POST", "/api/v1/batches", { jobs: [{ kind: "test", input: { cost: 1 } }] })),
  ];

  await new Promise((r) => setTimeout(r, 500));
  await pg.crash();
  await new Promise((r) => setTimeout(r, 1500));
  await pg.up();
  // Back: the pool drops its dead connections and makes new ones.
  await waitFor(async () => answers.slice(-10).length === 10 && answers.slice(-10).every((a) => a.status === 200 || a.status === 202), {
    what: "successful answers again", timeoutMs: 20_000,
  });
  flowing = false;
  await Promise.all(clients);

  const byStatus = answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});
  const bad = answers.filter((a) => ![200, 202, 503].includes(a.status));
  expect(bad.slice(0, 5), JSON.stringify(byStatus)).toEqual([]);
  const unavailable = answers.filter((a) => a.status === 503);
  expect(unavailable.length, JSON.stringify(byStatus)).toBeGreaterThan(0);
  for (const a of unavailable) {
    expect(JSON.parse(a.body).error.code).toBe("unavailable");
    expect(Number(a.retryAfter)).toBeGreaterThan(0);
  }
  // And the books balance after the crash.
  const report = await ctx.ds.transaction("REPEATABLE READ", (m) => ledger.checkLedger(m));
  expect(report.ok, ledger.formatReport(report)).toBe(true);
}, 60_000);
