/**
 * The production entry point of `npm start` (src/processes/all.ts: API,
 * worker and scheduler in one process) on a database of its own: it starts,
 * serves a real job of a built-in kind end to end, keeps the ADMIN_API_KEY
 * admin working, registers the scheduler's job schedulers, and stops cleanly
 * on SIGTERM.
 */
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { createRedis, QUEUE } from "../../src/queues";
import { createUser } from "../../src/users/users";
import { allTasks } from "../../src/workers/task-list";
import { spawnHoldfast, stopWorker, type WorkerProcess } from "../fixtures/spawn";
import { createTestDb, redisUrl, type TestDb, testPrefix } from "../helpers/db";
import { waitFor } from "../helpers/platform";
import { threadNices } from "../helpers/util";

let db: TestDb;
let proc: WorkerProcess;
let base = "";
const prefix = testPrefix("proc");
const adminKey = `hf_admin_${randomBytes(16).toString("hex")}`;

beforeAll(async () => {
  db = await createTestDb();
  proc = spawnHoldfast(path.resolve(__dirname, "../../src/processes/all.ts"), "all", {
    DATABASE_URL: db.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, PORT: "0", ADMIN_API_KEY: adminKey, SHUTDOWN_TIMEOUT_MS: "5000",
  });
  await proc.ready;
  const port = /"port":(\d+)[^\n]*"msg":"API listening"/.exec(proc.output())?.[1];
  expect(port).toBeDefined();
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  if (proc) await stopWorker(proc);
  const conn = createRedis(redisUrl());
  for (const name of Object.values(QUEUE)) await new Queue(name, { connection: conn, prefix }).obliterate({ force: true }).catch(() => undefined);
  conn.disconnect();
  await db?.close();
});

async function api(key: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the API
}

it("keeps its CPU priority: the API runs in this process too (WORKER_NICE lowers worker-only processes)", () => {
  expect(new Set(threadNices(proc.pid))).toEqual(new Set([0]));
});

it("runs a built-in job end to end: submit, run on the worker, settle", async () => {
  const { user, apiKey } = await createUser(db.ds.manager, { email: `${randomUUID()}@example.com` });
  await ledger.grant(db.ds.manager, { id: randomUUID(), userId: user.id, amount: 20, category: "admin" });
  const sub = await api(apiKey, "POST", "/api/v1/jobs", { kind: "script", input: { script: "wordcount", parameters: { text: "hello holdfast" } } });
  expect(sub.status).toBe(202);
  const done = await waitFor(async () => {
    const r = await api(apiKey, "GET", `/api/v1/jobs/${sub.body.id}`);
    return r.body.status === "succeeded" || r.body.status === "failed" ? r.body : null;
  }, { what: "wordcount job finished" });
  expect(done).toMatchObject({ status: "succeeded", attempts: 1, result: { exit_code: 0, result: { words: 2 } } });
  expect(done.credits.charged + done.credits.refunded).toBe(done.credits.estimated);
});

it("creates the ADMIN_API_KEY admin on start", async () => {
  const r = await api(adminKey, "GET", "/api/v1/admin/users");
  expect(r.status).toBe(200);
});

it("registers the scheduler's job schedulers", async () => {
  const conn = createRedis(redisUrl());
  const q = new Queue(QUEUE.maintenance, { connection: conn, prefix });
  const ids = (await q.getJobSchedulers()).map((s) => s.key).sort();
  await q.close();
  conn.disconnect();
  expect(ids).toEqual(allTasks().map((t) => t.name).sort());
});

it("stops on SIGTERM with exit code 0", async () => {
  proc.child.kill("SIGTERM");
  expect(await proc.exited).toEqual({ code: 0, signal: null });
  expect(proc.output()).toContain('"msg":"stopped"');
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
});
