/**
 * A real Holdfast in-process for a test file: its own database and queue
 * prefix, the API on an ephemeral loopback port, and (optionally) a worker.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { Express } from "express";
import { randomUUID } from "node:crypto";
import { createApp, type AppOptions } from "../../src/api/app";
import { createHttpServer } from "../../src/api/server";
import { servicesOf } from "../../src/api/services";
import { type Clock } from "../../src/clock";
import { loadConfig, type Config } from "../../src/config";
import { type AppContext, closeContext, createContext } from "../../src/context";
import { KindRegistry, type KindServices } from "../../src/jobs/kind";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { type JobWorker, startJobWorker } from "../../src/workers/job-runner";
import { createTestDb, redisUrl, type TestDb, testPrefix } from "./db";

export interface Platform {
  ctx: AppContext;
  db: TestDb;
  /** The Express app behind `url` (for its services, see src/api/services.ts servicesOf). */
  app: Express;
  url: string;
  worker: JobWorker | null;
  /** Create a user with credits; returns its id and API key. */
  user(opts?: { credits?: number; role?: "user" | "admin" | "service"; email?: string }): Promise<{ id: string; key: string }>;
  /**
   * fetch against the API with a key; JSON in and out. `body` is `any` on
   * purpose: tests read whatever shape the route under test returns.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api(key: string | null, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /**
   * Resolves once the API has handed these jobs to BullMQ: a 202 follows the
   * commit, not the hand-off (src/jobs/admission.ts), so a test that looks at
   * or changes the queue right after submitting waits for this first.
   */
  handedOff(jobIds: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface PlatformOptions {
  kinds?: KindRegistry;
  services?: KindServices;
  env?: Record<string, string>;
  worker?: boolean;
  clock?: Clock;
  app?: AppOptions;
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<Platform> {
  const db = await createTestDb();
  const config: Config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: testPrefix(),
    JOB_BACKOFF_MS: "100",
    ...opts.env,
  });
  const ctx = await createContext(config, { kinds: opts.kinds ?? new KindRegistry(), services: opts.services, clock: opts.clock, name: "holdfast-test" });
  const app = createApp(ctx, opts.app);
  const server: Server = await new Promise((resolve) => {
    const s = createHttpServer(app).listen(0, "127.0.0.1", () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const worker = opts.worker === false ? null : startJobWorker(ctx);
  return {
    ctx,
    db,
    app,
    url,
    worker,
    handedOff: (jobIds) => servicesOf(app)!.admission.handedOff(jobIds),
    async user({ credits = 0, role = "user", email } = {}) {
      const { user, apiKey } = await createUser(ctx.ds.manager, { email: email ?? `${randomUUID()}@example.com`, role });
      if (credits > 0) await ledger.grant(ctx.ds.manager, { id: randomUUID(), userId: user.id, amount: credits, category: "admin" });
      return { id: user.id, key: apiKey };
    },
    async api(key, method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body !== undefined && typeof body !== "string" ? { "content-type": "application/json" } : {}),
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await worker?.close(5000);
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await ctx.queues.jobs.obliterate({ force: true }).catch(() => undefined);
      await closeContext(ctx);
      await db.close();
    },
  };
}

/** Poll until fn returns a truthy value (or time out with the last value in the message). */
export async function waitFor<T>(fn: () => Promise<T>, { timeoutMs = 20_000, intervalMs = 50, what = "condition" } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
