/**
 * The chaos run (`npm run chaos`, and a short one in test/chaos): Holdfast's
 * roles as separate processes (API, workers, scheduler) on a private
 * PostgreSQL and Redis started here, a client submitting fast and slow jobs
 * for many users with Idempotency-Keys and retries, while workers are
 * SIGKILLed every few seconds (and started again), Redis is SIGKILLed and
 * restarted empty, and PostgreSQL is stopped `-m immediate` and restarted.
 *
 * Then, once every accepted job is final (bounded wait), it checks what must
 * survive any crash: every job final; each user's balance = grants − the
 * sum of its jobs' charges; nothing held; `ledger:check` clean; no 500 ever
 * (503 is the allowed answer while a dependency is down).
 */
import { randomInt, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { createDataSource } from "../../src/db/data-source";
import { checkLedger, formatReport } from "../../src/ledger";
import { freePort, PrivatePostgres, PrivateRedis } from "../../test/helpers/private-services";
import { ChaosClient, jobInput, newKey, type SubmittedJob } from "./client";
import { RoleProcess } from "./role-process";

export interface ChaosOptions {
  /** Seconds of submissions and faults (default 120). */
  durationS: number;
  users: number;
  /** Submissions over the run (a batch counts its jobs). */
  jobs: number;
  workers: number;
  /** Seconds between worker SIGKILLs. */
  killEveryS: number;
  redisKills: number;
  pgRestarts: number;
  /** Seconds a killed Redis / PostgreSQL stays down. */
  downS: number;
  /** Bound on the wait for every job to be final after the faults stop. */
  settleTimeoutS: number;
  /** Share of slow jobs (0–1) and their run time range in ms. */
  slowShare: number;
  slowMs: [number, number];
  /** Submissions in flight at once. */
  concurrency: number;
  /** Keep the run's directory (process logs) even when every check passes. */
  keep: boolean;
  log: (msg: string) => void;
}

export const defaultOptions: ChaosOptions = {
  durationS: 120, users: 16, jobs: 1200, workers: 2, killEveryS: 4, redisKills: 1, pgRestarts: 1, downS: 3,
  settleTimeoutS: 120, slowShare: 0.3, slowMs: [1000, 4000], concurrency: 48, keep: false,
  log: (m) => process.stderr.write(`[chaos] ${m}\n`),
};

export interface ChaosSummary {
  ok: boolean;
  /** Every failed check, one sentence each. */
  problems: string[];
  users: number;
  submitted: number;
  accepted: number;
  /** Submissions the client gave up on (no acceptance by its deadline). */
  abandoned: number;
  final: number;
  succeeded: number;
  /** Failed as the user's fault (charged what the kind measured). */
  failedUser: number;
  /** Failed as the platform's fault: charged nothing, the whole hold refunded. */
  refunded: number;
  canceled: number;
  http503: number;
  http500: number;
  network: number;
  otherErrors: number;
  workerKills: number;
  redisKills: number;
  pgRestarts: number;
  held: number;
  ledgerCheck: "ok" | "failed" | "not run";
  balances: string;
  durationS: number;
  dir: string;
}

export function summaryLine(s: ChaosSummary): string {
  return `chaos: users=${s.users} accepted=${s.accepted} final=${s.final} succeeded=${s.succeeded} failed_user=${s.failedUser} ` +
    `refunded=${s.refunded} canceled=${s.canceled} abandoned=${s.abandoned} 503s=${s.http503} 500s=${s.http500} ` +
    `other_errors=${s.otherErrors} no_answer=${s.network} worker_kills=${s.workerKills} redis_kills=${s.redisKills} ` +
    `pg_restarts=${s.pgRestarts} held=${s.held} ledger_check=${s.ledgerCheck} balances=${s.balances} duration=${s.durationS}s`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Jobs final so far, for the progress lines ("?" while PostgreSQL is down). */
async function finalJobs(url: string): Promise<string> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return String((await c.query(`SELECT count(*) AS n FROM jobs WHERE status IN ('succeeded', 'failed', 'canceled')`)).rows[0].n);
  } catch {
    return "?";
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function runChaos(partial: Partial<ChaosOptions> = {}): Promise<ChaosSummary> {
  const o: ChaosOptions = { ...defaultOptions, ...partial };
  const t0 = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), "hf-chaos-"));
  const problems: string[] = [];
  const log = o.log;
  log(`run directory ${dir} (process logs)`);

  const pg = await PrivatePostgres.start();
  const redis = await PrivateRedis.start();
  const roles: RoleProcess[] = [];
  const tearDown = async () => {
    await Promise.all(roles.map((r) => r.stop(5000)));
    await redis.stop();
    await pg.destroy();
  };
  // Ctrl-C: PostgreSQL runs detached (pg_ctl), so it would outlive us; stop everything first.
  const onSignal = () => {
    log("interrupted; stopping the processes and servers of this run");
    void tearDown().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const dbUrl = await pg.createDatabase("holdfast");
    const port = await freePort();
    const adminKey = `hf_admin_${randomUUID().replaceAll("-", "")}`;
    const env: Record<string, string> = {
      NODE_ENV: "production", LOG_LEVEL: "info", DATABASE_URL: dbUrl, REDIS_URL: redis.url, QUEUE_PREFIX: "chaos",
      PORT: String(port), ADMIN_API_KEY: adminKey, STORAGE_DIR: path.join(dir, "storage"), OUTBOX_DIR: path.join(dir, "outbox"),
      // A dead worker's jobs are found stalled within seconds rather than half a minute.
      WORKER_LOCK_DURATION_MS: "5000", WORKER_STALLED_INTERVAL_MS: "2000",
      SHUTDOWN_TIMEOUT_MS: "3000", CHAOS_TICK_MS: "2000",
    };
    const api = new RoleProcess("api", "api", env, dir);
    const scheduler = new RoleProcess("scheduler", "scheduler", env, dir);
    const workers = Array.from({ length: o.workers }, (_, i) => new RoleProcess("worker", `worker${i + 1}`, env, dir));
    roles.push(api, scheduler, ...workers);
    // All at once, as PM2 starts them: they take turns at the migrations (an advisory lock).
    for (const r of roles) r.start();
    await Promise.all(roles.map((r) => r.waitReady(120_000)));
    log(`API on ${port}, scheduler and ${o.workers} workers ready (${Math.round((Date.now() - t0) / 1000)} s)`);

    const client = new ChaosClient(`http://127.0.0.1:${port}`);
    const grantEach = 1_000_000;
    const users: { id: string; key: string }[] = [];
    for (let i = 0; i < o.users; i++) {
      const u = await client.call(adminKey, "POST", "/api/v1/admin/users", { email: `chaos-${i}-${randomUUID().slice(0, 8)}@example.com` });
      if (u?.status !== 201) throw new Error(`could not create a user: ${JSON.stringify(u)}`);
      const g = await client.call(adminKey, "POST", "/api/v1/admin/credits/add", { user_id: u.body.id, amount: grantEach, description: "chaos grant" });
      if (g?.status !== 201) throw new Error(`could not grant credits: ${JSON.stringify(g)}`);
      users.push({ id: u.body.id, key: u.body.api_key });
    }
    // Setup answers are not part of the run's counts.
    client.counts.byStatus = {};

    // ---------------------------------------------------------------- the run
    const runStart = Date.now();
    const runEnd = runStart + o.durationS * 1000;
    const clientDeadline = runEnd + 60_000;
    const accepted = new Map<string, SubmittedJob>();
    let submitted = 0;
    let abandoned = 0;
    let otherErrors = 0;

    const submitOne = async (i: number) => {
      const userIndex = i % o.users;
      const user = users[userIndex]!;
      const slow = Math.random() < o.slowShare;
      const batch = randomInt(10) === 0;
      const idem = { "idempotency-key": newKey() };
      const body = batch
        ? { jobs: Array.from({ length: randomInt(2, 5) }, () => jobInput(slow, o.slowMs)) }
        : jobInput(slow, o.slowMs);
      const a = await client.untilAnswered(user.key, "POST", batch ? "/api/v1/batches" : "/api/v1/jobs", body, idem, clientDeadline);
      const jobs: { id: string }[] = a?.status === 202 ? (batch ? a.body.jobs : [a.body]) : [];
      submitted += batch ? (body as { jobs: unknown[] }).jobs.length : 1;
      if (a === null || a.status === 503 || a.status === 429 || a.status >= 500) {
        abandoned++;
        return;
      }
      if (a.status !== 202) {
        otherErrors++;
        client.note(`submit → ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
        return;
      }
      for (const j of jobs) accepted.set(j.id, { id: j.id, userIndex, slow });
      // Now and then the user changes their mind about a slow job.
      if (slow && randomInt(10) === 0) {
        await sleep(randomInt(2000));
        const c = await client.untilAnswered(user.key, "POST", `/api/v1/jobs/${jobs[0]!.id}/cancel`, undefined, {}, clientDeadline);
        if (c && c.status !== 200 && !(c.status === 409 && c.body?.error?.code === "invalid_state")) {
          otherErrors++;
          client.note(`cancel → ${c.status} ${JSON.stringify(c.body).slice(0, 300)}`);
        }
      }
    };

    // Submissions paced over 90 % of the run, at most `concurrency` in flight.
    const submitter = (async () => {
      const inFlight = new Set<Promise<void>>();
      const spacing = (o.durationS * 900) / Math.max(1, o.jobs);
      let sent = 0;
      for (let i = 0; sent < o.jobs; i++) {
        const due = runStart + i * spacing;
        if (Date.now() < due) await sleep(due - Date.now());
        while (inFlight.size >= o.concurrency) await Promise.race(inFlight);
        const p = submitOne(i).finally(() => inFlight.delete(p));
        inFlight.add(p);
        sent++;
      }
      await Promise.all(inFlight);
    })();

    // Readers: users looking at their jobs and balance meanwhile (only their answers' statuses matter).
    const reader = (async () => {
      while (Date.now() < runEnd) {
        const ids = [...accepted.values()];
        const j = ids.length > 0 ? ids[randomInt(ids.length)]! : null;
        const u = users[j ? j.userIndex : randomInt(users.length)]!;
        await client.call(u.key, "GET", j ? `/api/v1/jobs/${j.id}` : "/api/v1/credits/balance");
        await client.call(u.key, "GET", "/api/v1/credits/balance");
        await sleep(100);
      }
    })();

    // Faults.
    let workerKills = 0;
    let redisKills = 0;
    let pgRestarts = 0;
    const at = (share: number) => runStart + share * o.durationS * 1000;
    const faults: { when: number; what: "redis" | "pg" }[] = [
      ...Array.from({ length: o.redisKills }, (_, i) => ({ when: at((i + 1) / (o.redisKills + o.pgRestarts + 1) - 0.05), what: "redis" as const })),
      ...Array.from({ length: o.pgRestarts }, (_, i) => ({ when: at((o.redisKills + i + 1) / (o.redisKills + o.pgRestarts + 1)), what: "pg" as const })),
    ].sort((a, b) => a.when - b.when);
    const dependencyFaults = (async () => {
      for (const f of faults) {
        if (Date.now() < f.when) await sleep(f.when - Date.now());
        if (f.what === "redis") {
          log(`SIGKILL Redis (${Math.round((Date.now() - runStart) / 1000)} s into the run); down for ${o.downS} s`);
          await redis.kill();
          redisKills++;
          await sleep(o.downS * 1000);
          await redis.up();
        } else {
          log(`PostgreSQL stop -m immediate (${Math.round((Date.now() - runStart) / 1000)} s into the run); down for ${o.downS} s`);
          await pg.crash();
          pgRestarts++;
          await sleep(o.downS * 1000);
          await pg.up();
        }
        log(`${f.what === "redis" ? "Redis" : "PostgreSQL"} back`);
      }
    })();
    const workerFaults = (async () => {
      while (Date.now() + o.killEveryS * 1000 < runEnd) {
        await sleep(o.killEveryS * 1000);
        // A worker that has run for a while (one killed as soon as it is up would never run a job), and
        // only while every other worker runs: under load a worker takes many seconds to start, and
        // killing them all at once would measure start-up time rather than recovery.
        const ready = workers.filter((w) => w.readyForMs >= o.killEveryS * 1000);
        if (ready.length === 0 || workers.some((w) => !w.ready)) continue;
        const w = ready[randomInt(ready.length)]!;
        await w.kill();
        workerKills++;
        w.start();
      }
    })();
    const progress = setInterval(() => {
      void finalJobs(dbUrl).then((final) => log(`${Math.round((Date.now() - runStart) / 1000)} s: accepted ${accepted.size}, final ${final}, ` +
        `503s ${client.counts.byStatus[503] ?? 0}, 500s ${client.counts.byStatus[500] ?? 0}, no answer ${client.counts.network}, worker kills ${workerKills}`));
    }, 15_000);
    await Promise.all([submitter, reader, dependencyFaults, workerFaults]).finally(() => clearInterval(progress));
    log(`faults over (${Math.round((Date.now() - runStart) / 1000)} s); ${accepted.size} jobs accepted; waiting for every job to be final`);

    // ---------------------------------------------------------- the recovery
    for (const w of workers) if (!w.alive) w.start();
    const db = new Client({ connectionString: dbUrl });
    await db.connect();
    try {
      const count = async (q: string, params: unknown[] = []) => Number((await db.query(q, params)).rows[0].n);
      const settleDeadline = Date.now() + o.settleTimeoutS * 1000;
      let live = await count(`SELECT count(*) AS n FROM jobs WHERE status NOT IN ('succeeded', 'failed', 'canceled')`);
      let lastNote = Date.now();
      while (live > 0 && Date.now() < settleDeadline) {
        await sleep(1000);
        live = await count(`SELECT count(*) AS n FROM jobs WHERE status NOT IN ('succeeded', 'failed', 'canceled')`);
        if (Date.now() - lastNote >= 10_000) {
          lastNote = Date.now();
          log(`${live} job(s) not final yet`);
        }
      }
      if (live > 0) {
        const stuck = await db.query(
          `SELECT id, status, attempt, max_attempts, enqueued_at IS NOT NULL AS enqueued, updated_at FROM jobs
            WHERE status NOT IN ('succeeded', 'failed', 'canceled') ORDER BY created_at LIMIT 5`);
        problems.push(`${live} job(s) not final ${o.settleTimeoutS} s after the faults stopped, e.g. ${JSON.stringify(stuck.rows)}`);
      }
      const settleS = Math.round((Date.now() - (settleDeadline - o.settleTimeoutS * 1000)) / 1000);
      log(`${live === 0 ? "every job final" : `${live} job(s) still live`} after ${settleS} s`);
      const why = await db.query(
        `SELECT error_message AS message, count(*)::int AS n FROM jobs WHERE status = 'failed' AND error_type IS DISTINCT FROM 'user'
          GROUP BY 1 ORDER BY 2 DESC LIMIT 5`);
      if (why.rows.length > 0) log(`refunded as the platform's failure: ${JSON.stringify(why.rows)}`);
      if (client.counts.network > 0) log(`requests without an answer, by cause: ${JSON.stringify(client.counts.noAnswer)}`);

      // ------------------------------------------------------------ the checks
      const ids = [...accepted.keys()];
      const jobs = (await db.query(
        `SELECT id, user_id, status, error_type, credits_estimated::bigint AS est, credits_charged::bigint AS charged,
                credits_refunded::bigint AS refunded FROM jobs`)).rows as {
        id: string; user_id: string; status: string; error_type: string | null; est: string; charged: string; refunded: string;
      }[];
      const byId = new Map(jobs.map((j) => [j.id, j]));
      const final = (s: string) => s === "succeeded" || s === "failed" || s === "canceled";
      const missing = ids.filter((id) => !byId.has(id));
      if (missing.length > 0) problems.push(`${missing.length} accepted job(s) missing from the database, e.g. ${missing.slice(0, 3).join(", ")}`);
      const acceptedFinal = ids.filter((id) => byId.has(id) && final(byId.get(id)!.status)).length;
      const unbalancedJobs = jobs.filter((j) => final(j.status) && BigInt(j.charged) + BigInt(j.refunded) !== BigInt(j.est));
      if (unbalancedJobs.length > 0) problems.push(`${unbalancedJobs.length} final job(s) whose charge + refund ≠ hold, e.g. ${JSON.stringify(unbalancedJobs[0])}`);
      const unacknowledged = jobs.filter((j) => !accepted.has(j.id)).length;
      if (unacknowledged > abandoned * 4) problems.push(`${unacknowledged} job(s) in the database that no accepted submission created`);

      // Balances: grants minus the sum of the user's jobs' charges, to the credit; nothing held.
      const accounts = (await db.query(
        `SELECT user_id, (credits_posted - debits_posted)::bigint AS posted, debits_pending::bigint AS held
           FROM ledger_accounts WHERE kind = 'user'`)).rows as { user_id: string; posted: string; held: string }[];
      const charges = new Map<string, bigint>();
      for (const j of jobs) charges.set(j.user_id, (charges.get(j.user_id) ?? 0n) + BigInt(j.charged));
      let wrong = 0;
      let held = 0n;
      for (const u of users) {
        const acc = accounts.filter((a) => a.user_id === u.id);
        const posted = acc.reduce((n, a) => n + BigInt(a.posted), 0n);
        held += acc.reduce((n, a) => n + BigInt(a.held), 0n);
        const expected = BigInt(grantEach) - (charges.get(u.id) ?? 0n);
        if (posted !== expected) {
          wrong++;
          problems.push(`user ${u.id}: balance ${posted}, expected ${expected} (grant ${grantEach} − charges ${charges.get(u.id) ?? 0n})`);
        }
      }
      const pendingHolds = await count(`SELECT count(*) AS n FROM ledger_pending WHERE state = 'pending'`);
      if (held !== 0n || pendingHolds !== 0) problems.push(`credits still held: ${held} across users, ${pendingHolds} pending hold(s)`);

      const ds = createDataSource({ url: dbUrl, poolSize: 1, applicationName: "holdfast-chaos-check" });
      await ds.initialize();
      let ledgerOk = false;
      try {
        const report = await ds.transaction("REPEATABLE READ", (m) => checkLedger(m));
        ledgerOk = report.ok;
        if (!report.ok) problems.push(formatReport(report));
      } finally {
        await ds.destroy();
      }

      const c = client.counts;
      const http500 = Object.entries(c.byStatus).filter(([s]) => Number(s) >= 500 && Number(s) !== 503).reduce((n, [, k]) => n + k, 0);
      if (http500 > 0) problems.push(`${http500} answer(s) 5xx other than 503: ${c.unexpected.filter((l) => / → 5\d\d /.test(l)).slice(0, 5).join(" | ")}`);
      if (otherErrors > 0) problems.push(`${otherErrors} unexpected answer(s): ${c.unexpected.slice(0, 5).join(" | ")}`);
      if (abandoned > 0) problems.push(`${abandoned} submission(s) never accepted by the client's deadline`);

      const ofAccepted = ids.map((id) => byId.get(id)).filter((j) => j !== undefined);
      const summary: ChaosSummary = {
        ok: problems.length === 0,
        problems,
        users: o.users,
        submitted,
        accepted: ids.length,
        abandoned,
        final: acceptedFinal,
        succeeded: ofAccepted.filter((j) => j.status === "succeeded").length,
        failedUser: ofAccepted.filter((j) => j.status === "failed" && j.error_type === "user").length,
        refunded: ofAccepted.filter((j) => j.status === "failed" && j.error_type !== "user").length,
        canceled: ofAccepted.filter((j) => j.status === "canceled").length,
        http503: c.byStatus[503] ?? 0,
        http500,
        network: c.network,
        otherErrors,
        workerKills,
        redisKills,
        pgRestarts,
        held: Number(held),
        ledgerCheck: ledgerOk ? "ok" : "failed",
        balances: wrong === 0 ? "exact" : `wrong(${wrong})`,
        durationS: Math.round((Date.now() - t0) / 1000),
        dir,
      };
      return summary;
    } finally {
      await db.end();
    }
  } catch (err) {
    problems.push(`the run itself failed: ${err instanceof Error ? err.message : String(err)}`);
    return {
      ok: false, problems, users: o.users, submitted: 0, accepted: 0, abandoned: 0, final: 0, succeeded: 0, failedUser: 0, refunded: 0,
      canceled: 0, http503: 0, http500: 0, network: 0, otherErrors: 0, workerKills: 0, redisKills: 0, pgRestarts: 0, held: 0,
      ledgerCheck: "not run", balances: "not checked", durationS: Math.round((Date.now() - t0) / 1000), dir,
    };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await tearDown();
    if (problems.length === 0 && !o.keep) rmSync(dir, { recursive: true, force: true });
  }
}
