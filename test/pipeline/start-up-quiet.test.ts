/**
 * A healthy start-up says nothing about waiting: a process whose Redis client is still
 * connecting when waitForDependencies first asks must not log "waiting for PostgreSQL and
 * Redis" (it did on every `npm start`, with "Stream isn't writeable …").
 */
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { type AppContext, closeContext, createContext, waitForDependencies } from "../../src/context";
import { createTestDb, redisUrl, type TestDb, testPrefix } from "../helpers/db";
import { testKinds } from "../helpers/kinds";

let db: TestDb;
let ctx: AppContext | undefined;
beforeAll(async () => {
  db = await createTestDb({ poolSize: 2 });
});
afterAll(async () => {
  if (ctx) await closeContext(ctx);
  await db?.close();
});

it("waits for the Redis client's first connection instead of logging a false outage", async () => {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb(); } }));
  const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: testPrefix("quiet") });
  // PostgreSQL is connected first (the default), so the PING comes right after the Redis client is made.
  ctx = await createContext(config, { kinds: testKinds(), logger, poolSize: 2 });
  expect(ctx.redis.status).not.toBe("ready");
  await waitForDependencies(ctx);
  expect(lines.filter((l) => l.includes("waiting for PostgreSQL and Redis"))).toEqual([]);
  expect(ctx.redis.status).toBe("ready");
});
