/**
 * An unkeyed submission whose connection dies with its statement in flight
 * (issue 13: "an ambiguous commit of an unkeyed submit batch answers 500 for
 * a job that will still run"). The API reaches PostgreSQL through a TCP
 * proxy that can cut the connection carrying the admission statement:
 *
 *   after   the statement reaches the server, which runs and commits it;
 *           the answer is swallowed and the connection cut → the job exists,
 *           so the client must get 202 (and the job runs, charged once);
 *   before  the statement is dropped and the connection cut → nothing was
 *           held, so 503 with Retry-After is true;
 *   after + refuse   as "after", and new connections are refused for a
 *           while → the API cannot ask; 503 names the job id, which exists.
 */
import type { Server } from "node:http";
import { type AddressInfo, createServer, type Server as NetServer, type Socket, connect } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { createHttpServer } from "../../src/api/server";
import { loadConfig } from "../../src/config";
import { type AppContext, closeContext, createContext } from "../../src/context";
import * as ledger from "../../src/ledger";
import { relayOutbox } from "../../src/jobs/tasks/outbox-relay";
import { createUser } from "../../src/users/users";
import { type JobWorker, startJobWorker } from "../../src/workers/job-runner";
import { createTestDb, redisUrl, type TestDb, testPrefix } from "../helpers/db";
import { testKinds } from "../helpers/kinds";
import { waitFor } from "../helpers/platform";

/** The unkeyed submit's statement (autocommitted); a batch's (in a transaction, then COMMIT). */
const MARKER = Buffer.from("holdfast_insert_jobs_each");
const BATCH_MARKER = Buffer.from("holdfast_insert_jobs_all");
const COMMIT = Buffer.from("COMMIT");

/** Loopback TCP proxy to PostgreSQL that cuts the connection carrying MARKER, once per arming. */
class CuttingProxy {
  /** "commit": the connection that runs a batch's statement is cut once its COMMIT has reached the server. */
  mode: "pass" | "after" | "before" | "commit" = "pass";
  /** After the next cut, refuse new connections for this long (ms). */
  refuseAfterCutMs = 0;
  refuse = false;
  cuts = 0;
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: NetServer, readonly port: number) {}

  static async start(target: { host: string; port: number }): Promise<CuttingProxy> {
    // eslint-disable-next-line prefer-const -- assigned once the server listens; the handler runs only after that
    let proxy!: CuttingProxy;
    const server = createServer((client) => {
      if (proxy.refuse) return void client.destroy();
      const upstream = connect(target.port, target.host);
      proxy.sockets.add(client).add(upstream);
      let swallowing = false;
      let commitArmed = false;
      const cut = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("data", (chunk: Buffer) => {
        if (proxy.mode === "commit" && chunk.includes(BATCH_MARKER)) {
          proxy.mode = "pass";
          commitArmed = true;
        } else if (commitArmed && chunk.includes(COMMIT)) {
          proxy.cuts++;
          swallowing = true;
          upstream.write(chunk);
          setTimeout(cut, 500);
          return;
        }
        if ((proxy.mode === "after" || proxy.mode === "before") && chunk.includes(MARKER)) {
          const mode = proxy.mode;
          proxy.mode = "pass";
          proxy.cuts++;
          if (mode === "before") return cut();
          swallowing = true;
          upstream.write(chunk);
          setTimeout(() => {
            if (proxy.refuseAfterCutMs > 0) {
              proxy.refuse = true;
              setTimeout(() => (proxy.refuse = false), proxy.refuseAfterCutMs).unref();
              proxy.refuseAfterCutMs = 0;
              // The pool's idle connections go too: the API must open a new one to ask.
              for (const s of proxy.sockets) s.destroy();
            }
            cut();
          }, 500); // time for the server to run and commit the statement
          return;
        }
        upstream.write(chunk);
      });
      upstream.on("data", (chunk: Buffer) => {
        if (!swallowing) client.write(chunk);
      });
      for (const s of [client, upstream]) {
        s.on("error", () => cut());
        s.on("close", () => {
          proxy.sockets.delete(s);
          cut();
        });
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    proxy = new CuttingProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let db: TestDb;
let proxy: CuttingProxy;
let ctx: AppContext;
let worker: JobWorker;
let server: Server;
let base = "";

beforeAll(async () => {
  db = await createTestDb();
  const direct = new URL(db.url);
  proxy = await CuttingProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(db.url);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  const config = loadConfig({
    NODE_ENV: "test", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", DATABASE_URL: viaProxy.toString(), REDIS_URL: redisUrl(),
    QUEUE_PREFIX: testPrefix("ambiguous"), RATE_LIMIT_PER_MINUTE: "0",
  });
  ctx = await createContext(config, { kinds: testKinds(), name: "holdfast-test" });
  worker = startJobWorker(ctx);
  server = await new Promise((resolve) => {
    const s = createHttpServer(createApp(ctx)).listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await worker?.close(5000);
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await ctx?.queues.jobs.obliterate({ force: true }).catch(() => undefined);
  if (ctx) await closeContext(ctx);
  await proxy?.close();
  await db?.close(); // checks the ledger's invariants
});

async function newUser(credits: number) {
  const { user, apiKey } = await createUser(db.ds.manager, { email: `${randomUUID()}@example.com` });
  await ledger.grant(db.ds.manager, { id: randomUUID(), userId: user.id, amount: credits, category: "admin" });
  return { id: user.id, key: apiKey };
}

async function submit(key: string) {
  const res = await fetch(`${base}/api/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ kind: "test", input: { cost: 3 } }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as any, retryAfter: res.headers.get("retry-after") };
}

async function jobsOf(userId: string) {
  return db.ds.query(`SELECT id, status, credits_charged FROM jobs WHERE user_id = $1`, [userId]) as Promise<{ id: string; status: string; credits_charged: string }[]>;
}

it("the statement committed but its answer was lost: 202 with the job, which runs and is charged once", async () => {
  const u = await newUser(10);
  proxy.mode = "after";
  const res = await submit(u.key);
  expect(proxy.cuts).toBe(1);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const rows = await jobsOf(u.id);
  expect(rows.map((r) => r.id)).toEqual([res.body.id]);
  await waitFor(async () => (await jobsOf(u.id))[0]!.status === "succeeded", { what: "the job to succeed" });
  expect(await ledger.balances(db.ds.manager, u.id)).toMatchObject({ available: 7, held: 0 });
});

it("the statement never arrived: 503 with Retry-After, nothing held", async () => {
  const u = await newUser(10);
  const cutsBefore = proxy.cuts;
  proxy.mode = "before";
  const res = await submit(u.key);
  expect(proxy.cuts).toBe(cutsBefore + 1);
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.body.error.code).toBe("unavailable");
  expect(res.retryAfter).toBeTruthy();
  expect(await jobsOf(u.id)).toEqual([]);
  expect(await ledger.balances(db.ds.manager, u.id)).toMatchObject({ available: 10, held: 0 });
  // And the next submission goes through.
  expect((await submit(u.key)).status).toBe(202);
});

it("the database cannot be asked: 503 names the job id, so the client can look before submitting again", async () => {
  const u = await newUser(10);
  proxy.mode = "after";
  proxy.refuseAfterCutMs = 3000;
  const res = await submit(u.key);
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.body.error.code).toBe("unavailable");
  const jobId = res.body.error.details.job_id as string;
  expect(res.body.error.message).toContain(`GET /api/v1/jobs/${jobId}`);
  // The statement had committed: the job the message names exists (queued; the
  // API could not hand it to BullMQ), and the outbox relay dispatches it.
  expect(await jobsOf(u.id)).toEqual([{ id: jobId, status: "queued", credits_charged: "0" }]);
  await waitFor(async () => (await relayOutbox(ctx, new Date(Date.now() + 60_000)).catch(() => ({ relayed: 0 }))).relayed > 0 || undefined, { what: "the relay to dispatch it" });
  await waitFor(async () => (await jobsOf(u.id)).find((r) => r.id === jobId && r.status === "succeeded"), { what: "the named job to succeed" });
  expect((await jobsOf(u.id)).length).toBe(1);
  expect(await ledger.balances(db.ds.manager, u.id)).toMatchObject({ available: 7, held: 0 });
}, 30_000);

it("a batch whose COMMIT reached the server but whose answer was lost: 202 with the batch, each job charged once", async () => {
  const u = await newUser(10);
  const cutsBefore = proxy.cuts;
  proxy.mode = "commit";
  const res = await fetch(`${base}/api/v1/batches`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.key}`, "content-type": "application/json" },
    body: JSON.stringify({ jobs: [{ kind: "test", input: { cost: 2 } }, { kind: "test", input: { cost: 3 } }] }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const body = (await res.json()) as any;
  expect(proxy.cuts).toBe(cutsBefore + 1);
  expect(res.status, JSON.stringify(body)).toBe(202);
  expect(body.job_ids ?? body.jobs).toHaveLength(2);
  await waitFor(async () => (await jobsOf(u.id)).filter((r) => r.status === "succeeded").length === 2 || undefined, { what: "both jobs to succeed" });
  expect(await ledger.balances(db.ds.manager, u.id)).toMatchObject({ available: 5, held: 0 });
});
