/**
 * `npm run bench -- --fairness [--json]` — fair dispatch across users
 * (src/jobs/fairness.ts) against plain first in, first out, in one run on
 * the same Redis and PostgreSQL. For each mode (FAIR_DISPATCH=on, then off)
 * a real API process and a real worker process (WORKER_CONCURRENCY slots,
 * default 20) run `bench-sleep` jobs, which wait without using CPU:
 *
 *   a_alone_jobs_per_s_fair / _fifo   user A alone submits a backlog of N jobs
 *                                     (default 200 of 2 s each); jobs per second
 *                                     from the first submit until all are settled.
 *   a_alone_ratio                     fair / fifo (target: ≥ 0.9).
 *   fair_wait_p99_ms / fifo_wait_p99_ms  A submits the same backlog; once the
 *                                     workers are busy, user B submits one job;
 *                                     B's wait = its row's started_at − created_at;
 *                                     B arrives at evenly spread points of A's rounds.
 *                                     p99 (and p50, max) over the repeats (target
 *                                     fair ≤ 2000 ms). After B started, A's backlog
 *                                     is canceled (fair) or drained (fifo) before
 *                                     the next repeat.
 *
 *   options: --fairness-jobs N (A's backlog, default 200) --fairness-ms MS (job length, default 2000)
 *            --repeats R (default 3) --slots S (worker slots, default 20)
 *
 * Its own scratch database (holdfast_bench_fair) and queue prefixes.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { Queue } from "bullmq";
import { Client } from "pg";
import { loadConfig } from "../src/config";
import { createDataSource } from "../src/db/data-source";
import * as ledger from "../src/ledger";
import { migrateUnderLock } from "../src/processes/migrate";
import { createRedis } from "../src/queues";
import { createUser } from "../src/users/users";
import { freePort, note, percentile, round, sleep, startRole, withDatabase } from "./bench-lib";

const DB = "holdfast_bench_fair";

export interface FairnessOptions {
  jobs: number;
  ms: number;
  repeats: number;
  slots: number;
}

type Results = Record<string, number | boolean | string>;

async function admin(baseUrl: string, sqlText: string): Promise<void> {
  const c = new Client({ connectionString: baseUrl });
  await c.connect();
  try {
    await c.query(sqlText);
  } finally {
    await c.end();
  }
}

interface Mode {
  port: number;
  pg: Client;
  keyA: string;
  keyB: string;
  o: FairnessOptions;
}

async function api(port: number, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- the API's JSON
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** A's backlog, submitted as batches of 100 (the API's most per batch). */
async function backlog(m: Mode): Promise<string[]> {
  const ids: string[] = [];
  for (let left = m.o.jobs; left > 0; left -= 100) {
    const n = Math.min(100, left);
    const r = await api(m.port, m.keyA, "POST", "/api/v1/batches", { jobs: Array.from({ length: n }, () => ({ kind: "bench-sleep", input: { ms: m.o.ms } })) });
    if (r.status !== 202) throw new Error(`batch answered ${r.status}: ${JSON.stringify(r.body)}`);
    ids.push(...r.body.jobs.map((j: { id: string }) => j.id));
  }
  return ids;
}

async function untilFinal(m: Mode, ids: string[]): Promise<void> {
  for (;;) {
    const r = await m.pg.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY ($1::uuid[]) AND status IN ('queued', 'running')`, [ids]);
    if (r.rows[0].n === 0) return;
    await sleep(100);
  }
}

async function aloneJobsPerS(m: Mode): Promise<number> {
  const t0 = Date.now();
  const ids = await backlog(m);
  await untilFinal(m, ids);
  return m.o.jobs / ((Date.now() - t0) / 1000);
}

/** One repeat: B's single job's wait behind A's backlog, in ms. */
async function singleJobWait(m: Mode, i: number): Promise<number> {
  const ids = await backlog(m);
  // The workers are busy with A's first jobs and the rest wait. B arrives at a different point of A's
  // 2-second rounds each repeat (spread evenly over one job length), not always just after one began.
  await sleep(200 + ((i + 0.5) * m.o.ms) / m.o.repeats);
  const b = await api(m.port, m.keyB, "POST", "/api/v1/jobs", { kind: "bench-sleep", input: { ms: m.o.ms } });
  if (b.status !== 202) throw new Error(`submit answered ${b.status}`);
  let wait: number;
  for (;;) {
    const r = await m.pg.query(
      `SELECT (extract(epoch FROM started_at - created_at) * 1000)::float8 AS wait FROM jobs WHERE id = $1 AND started_at IS NOT NULL`, [b.body.id],
    );
    if (r.rows.length > 0) {
      wait = r.rows[0].wait as number;
      break;
    }
    await sleep(50);
  }
  // Out of the next repeat's way: what of A's backlog still waits is canceled.
  const queued = await m.pg.query(`SELECT id FROM jobs WHERE id = ANY ($1::uuid[]) AND status = 'queued'`, [ids]);
  for (const row of queued.rows as { id: string }[]) await api(m.port, m.keyA, "POST", `/api/v1/jobs/${row.id}/cancel`);
  await untilFinal(m, [...ids, b.body.id]);
  return wait;
}

export async function runFairnessBenchmark(o: FairnessOptions, urls: { databaseUrl: string; redisUrl: string }): Promise<Results> {
  const results: Results = { load_avg_1m_at_start: round(loadavg()[0]!, 2), fairness_jobs: o.jobs, fairness_job_ms: o.ms, fairness_slots: o.slots, fairness_repeats: o.repeats };
  await admin(urls.databaseUrl, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(urls.databaseUrl, `CREATE DATABASE ${DB}`);
  const dbUrl = withDatabase(urls.databaseUrl, DB);
  const ds = createDataSource({ url: dbUrl, poolSize: 2, applicationName: "holdfast-bench-fair" });
  await ds.initialize();
  await migrateUnderLock(ds);
  const keys: string[] = [];
  for (const who of ["a", "b"]) {
    const { user, apiKey } = await createUser(ds.manager, { email: `bench-fair-${who}-${randomUUID()}@holdfast.local` });
    await ledger.grant(ds.manager, { id: randomUUID(), userId: user.id, amount: 1_000_000_000, category: "admin" });
    keys.push(apiKey);
  }
  await ds.destroy();
  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  const prefixes: string[] = [];
  try {
    for (const [mode, flag] of [["fair", "on"], ["fifo", "off"]] as const) {
      const prefix = `hfbench_fair_${randomBytes(4).toString("hex")}`;
      prefixes.push(prefix);
      const port = await freePort();
      const env = {
        DATABASE_URL: dbUrl, REDIS_URL: urls.redisUrl, QUEUE_PREFIX: prefix, PORT: String(port), RATE_LIMIT_PER_MINUTE: "0",
        WORKER_CONCURRENCY: String(o.slots), FAIR_DISPATCH: flag,
      };
      note(`${mode} (FAIR_DISPATCH=${flag}): starting the API and a worker with ${o.slots} slots …`);
      const [apiProc, worker] = await Promise.all([startRole("api", env), startRole("worker", env)]);
      const m: Mode = { port, pg, keyA: keys[0]!, keyB: keys[1]!, o };
      try {
        note(`  A alone: ${o.jobs} jobs of ${o.ms} ms …`);
        results[`a_alone_jobs_per_s_${mode}`] = round(await aloneJobsPerS(m), 2);
        const waits: number[] = [];
        for (let i = 0; i < o.repeats; i++) {
          waits.push(await singleJobWait(m, i));
          note(`  repeat ${i + 1}/${o.repeats}: B's job waited ${Math.round(waits[i]!)} ms behind A's backlog`);
        }
        waits.sort((x, y) => x - y);
        results[`${mode}_wait_p50_ms`] = Math.round(percentile(waits, 50));
        results[`${mode}_wait_p99_ms`] = Math.round(percentile(waits, 99));
        results[`${mode}_wait_max_ms`] = Math.round(waits[waits.length - 1]!);
      } finally {
        for (const p of [apiProc, worker]) p.child.kill("SIGTERM");
        await Promise.all([apiProc.exited, worker.exited]);
      }
    }
  } finally {
    await pg.end();
    const cleanup = createRedis(urls.redisUrl);
    for (const prefix of prefixes) {
      for (const name of ["jobs", "mail", "stripe-events", "maintenance"]) {
        const q = new Queue(name, { connection: cleanup, prefix });
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close();
      }
      const fairKeys = await cleanup.keys(`${prefix}:fair:*`);
      if (fairKeys.length > 0) await cleanup.del(...fairKeys);
    }
    cleanup.disconnect();
    await admin(urls.databaseUrl, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
  results.a_alone_ratio = round((results.a_alone_jobs_per_s_fair as number) / (results.a_alone_jobs_per_s_fifo as number), 3);
  return results;
}

/** Entry from scripts/bench.ts. */
export async function fairnessMain(num: (name: string, def: number) => number): Promise<Results> {
  const config = loadConfig();
  return runFairnessBenchmark(
    { jobs: num("fairness-jobs", 200), ms: num("fairness-ms", 2000), repeats: num("repeats", 3), slots: num("slots", 20) },
    { databaseUrl: config.DATABASE_URL, redisUrl: config.REDIS_URL },
  );
}
