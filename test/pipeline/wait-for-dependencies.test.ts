/**
 * Processes wait for their dependencies: an API process and a worker process
 * started while PostgreSQL is down keep running (logging that they wait), the
 * API answers /healthz and a 503 /readyz meanwhile, and both become ready by
 * themselves once PostgreSQL starts; a later crash and restart is recovered
 * without a restart of the process. PostgreSQL is a private cluster.
 */
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRedis, QUEUE } from "../../src/queues";
import { spawnHoldfast, stopWorker, type WorkerProcess } from "../fixtures/spawn";
import { redisUrl, testPrefix } from "../helpers/db";
import { waitFor } from "../helpers/platform";
import { PrivatePostgres } from "../helpers/private-services";

let pg: PrivatePostgres;
let dbUrl = "";
const procs: WorkerProcess[] = [];
const prefix = testPrefix("deps");

beforeAll(async () => {
  pg = await PrivatePostgres.start();
  // An empty database: the processes migrate it themselves once they can.
  dbUrl = await pg.createDatabase("holdfast");
  await pg.crash();
}, 60_000);
afterAll(async () => {
  for (const p of procs) await stopWorker(p);
  const conn = createRedis(redisUrl());
  for (const name of Object.values(QUEUE)) await new Queue(name, { connection: conn, prefix }).obliterate({ force: true }).catch(() => undefined);
  conn.disconnect();
  await pg?.destroy();
});

async function get(url: string) {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as Record<string, any>, retryAfter: r.headers.get("retry-after") }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON
}

it("an API and a worker started while PostgreSQL is down wait, report not ready, and become ready when it starts", async () => {
  const env = { DATABASE_URL: dbUrl, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, PORT: "0", SHUTDOWN_TIMEOUT_MS: "2000" };
  const api = spawnHoldfast(path.resolve(__dirname, "../../src/processes/api.ts"), "api", env);
  const worker = spawnHoldfast(path.resolve(__dirname, "../fixtures/worker-process.ts"), "test-worker", env);
  procs.push(api, worker);

  const port = await waitFor(async () => /"port":(\d+)[^\n]*"msg":"API listening"/.exec(api.output())?.[1], { what: "API listening" });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => worker.output().includes("waiting for PostgreSQL and Redis") && api.output().includes("waiting for PostgreSQL and Redis"),
    { what: "both processes waiting" });

  expect(await get(`${base}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
  const notReady = await get(`${base}/readyz`);
  expect(notReady.status).toBe(503);
  expect(notReady.body.error.details.checks).toMatchObject({ postgres: { ok: false } });
  const refused = await get(`${base}/api/v1/jobs`);
  expect(refused).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
  expect(Number(refused.retryAfter)).toBeGreaterThan(0);

  // Still alive a while later: waiting, not exiting.
  await new Promise((r) => setTimeout(r, 1500));
  expect(worker.child.exitCode).toBeNull();
  expect(api.child.exitCode).toBeNull();

  await pg.up();
  await Promise.all([api.ready, worker.ready]);
  expect(await get(`${base}/readyz`)).toMatchObject({ status: 200, body: { status: "ready" } });
  // Unauthenticated now, rather than "starting": the real routes answer.
  expect((await get(`${base}/api/v1/jobs`)).status).toBe(401);

  // A crash after start: not ready while down, ready again after, same processes.
  await pg.crash();
  expect((await get(`${base}/readyz`)).status).toBe(503);
  await pg.up();
  await waitFor(async () => (await get(`${base}/readyz`)).status === 200, { what: "ready again", timeoutMs: 20_000 });
  expect(worker.child.exitCode).toBeNull();
  expect(api.child.exitCode).toBeNull();
}, 90_000);
