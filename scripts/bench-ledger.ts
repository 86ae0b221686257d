/**
 * `npm run bench:ledger [-- --json] [-- --seconds N]`: how close the ledger
 * gets to what this PostgreSQL server can do at all, measured in one run.
 *
 *   pairs_per_s_distinct  hold + post pairs/s, 16 clients, each on its own account
 *   pairs_per_s_hot       the same, all 16 clients on one account
 *   pgbench_tps           pgbench -N -c 16 -j 2 (TPC-B without the hot branch/teller rows)
 *   pgbench_hot_tps       pgbench, 16 clients, each transaction updates ONE row + inserts a history row
 *   overdrafts            user accounts with available < 0 afterwards (must be 0)
 *   ledger_check_ok       every invariant of checkLedger holds afterwards
 *
 * Each client has its own connection and calls the ledger's own functions
 * (`hold` on a known account, `post`) autocommitted: one round trip and one commit
 * each, so a pair is two transactions. Targets: pairs_per_s_distinct /
 * pgbench_tps ≥ 0.4 and pairs_per_s_hot / pgbench_hot_tps ≥ 0.4.
 *
 * The four measurements take turns: three rounds of distinct pairs, pgbench,
 * hot pairs, pgbench hot, a few seconds each. A VM's speed drifts within a
 * minute (the host's steal comes in bursts), and a ratio whose two sides were
 * measured a minute apart reads that drift; taking turns puts both sides of
 * each ratio in the same stretches of time. `steal_pct` is the share of the
 * machine the host took while the measurements ran (/proc/stat).
 *
 * It never touches the dev database: it (re)creates its own scratch
 * databases `holdfast_bench` and `holdfast_pgbench` on the server of
 * DATABASE_URL and drops them at the end. Like `npm start`, it first runs
 * `scripts/services.sh up` (DATABASE_URL when it answers, else the project's
 * own server) and uses the URL that prints. --seconds is the whole run
 * (default 60): four fifths of it measuring, in 12 turns.
 * --json prints exactly one JSON line on stdout; everything else goes to stderr.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import type { DataSource, QueryRunner } from "typeorm";
import { connectAndMigrate } from "../src/db/data-source";
import { servicesUp } from "./services-up";
import { checkLedger, grant, hold, post } from "../src/ledger";
import { machineMeter } from "./bench-lib";
import { createUser } from "../src/users/users";

const CLIENTS = 16;
const PGBENCH = "/usr/bin/pgbench";
const BENCH_DB = "holdfast_bench";
const PGBENCH_DB = "holdfast_pgbench";
const CREDIT_TYPE = "standard";
/** Credits per hold and per capture: a partial capture, so each pair also writes the released remainder. */
const HOLD = 5;
const CAPTURE = 3;
const TARGET_RATIO = 0.4;
/** Turns each measurement takes (see above). */
const TURNS = 3;

interface Options {
  json: boolean;
  /** Whole run in seconds (default 60). */
  seconds: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, seconds: 60 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") o.json = true;
    else if (a === "--seconds" || a.startsWith("--seconds=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      const n = Number(v);
      if (!Number.isFinite(n) || n < 10) throw new Error(`--seconds needs a number of seconds ≥ 10, got ${String(v)}`);
      o.seconds = n;
    } else throw new Error(`unknown argument ${a} (use --json, --seconds N)`);
  }
  return o;
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function recreateDatabase(adminUrl: string, name: string, drop = false): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    if (!drop) await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
}

/** Flush dirty pages so a checkpoint does not land in the middle of a measurement (needs superuser; skipped otherwise). */
async function checkpoint(ds: DataSource): Promise<void> {
  await ds.query(`CHECKPOINT`).catch(() => undefined);
}

// ------------------------------------------------------------------ pgbench

function pgbenchEnv(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const args = ["-h", u.hostname, "-p", u.port || "5432", "-U", decodeURIComponent(u.username)];
  return { args, env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } };
}

function runPgbench(url: string, args: string[]): Promise<string> {
  const conn = pgbenchEnv(url);
  const db = new URL(url).pathname.slice(1);
  return new Promise((resolve, reject) => {
    execFile(PGBENCH, [...conn.args, ...args, db], { env: conn.env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pgbench ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(`${stdout}\n${stderr}`);
    });
  });
}

function tps(out: string): number {
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
  if (!m) throw new Error(`no tps in pgbench output:\n${out}`);
  return Number(m[1]);
}

// One row updated and one history row inserted per transaction, by every client.
const HOT_SCRIPT = `\\set delta random(1, 5)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = 1;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 1, :delta, CURRENT_TIMESTAMP);
END;
`;

// ------------------------------------------------------------------ ledger pairs

/** Pairs counted over one or more turns, with each pair's latency. */
interface Pairs {
  pairs: number;
  seconds: number;
  latencies: number[];
}

/**
 * CLIENTS workers, each on its own connection (a QueryRunner's manager
 * outside any transaction: every call autocommits), each looping
 * hold → post on its account. Counted only between warm-up and stop, into `into`.
 */
async function measurePairs(runners: QueryRunner[], accounts: string[], warmupS: number, seconds: number, into: Pairs): Promise<void> {
  let measuring = false;
  let stop = false;
  const worker = async (i: number): Promise<void> => {
    const m = runners[i]!.manager;
    const accountId = accounts[i]!;
    while (!stop) {
      const t = performance.now();
      const holdId = randomUUID();
      await hold(m, { id: holdId, accountId, amount: HOLD, creditType: CREDIT_TYPE });
      await post(m, { id: randomUUID(), pendingId: holdId, amount: CAPTURE });
      if (measuring && !stop) {
        into.pairs++;
        into.latencies.push(performance.now() - t);
      }
    }
  };
  const done = Promise.all(runners.map((_, i) => worker(i)));
  await sleep(warmupS * 1000);
  measuring = true;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  stop = true;
  into.seconds += (performance.now() - t0) / 1000;
  await done;
}

function summary(p: Pairs): { pairsPerSecond: number; p50Ms: number; p99Ms: number } {
  const l = [...p.latencies].sort((a, b) => a - b);
  const pct = (q: number) => l[Math.min(l.length - 1, Math.floor(l.length * q))] ?? 0;
  return { pairsPerSecond: p.pairs / p.seconds, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fundedAccount(ds: DataSource, label: string): Promise<string> {
  const { user } = await createUser(ds.manager, { email: `bench-${label}-${randomUUID()}@example.com` });
  // Far more than any run can spend; one lot, so each capture burns exactly one lot.
  const g = await grant(ds.manager, { id: randomUUID(), userId: user.id, amount: 1e12, creditType: CREDIT_TYPE, category: "purchase" });
  return g.accountId;
}

// ------------------------------------------------------------------ main

interface Result {
  pairs_per_s_distinct: number;
  pairs_per_s_hot: number;
  pgbench_tps: number;
  pgbench_hot_tps: number;
  ratio_distinct: number;
  ratio_hot: number;
  /** Share of the machine's CPU time the host took for other guests while measuring. */
  steal_pct: number;
  overdrafts: number;
  ledger_check_ok: boolean;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  // Like npm start / npm test: bring up PostgreSQL (and Redis) and use the URL services.sh printed.
  const baseUrl = servicesUp().databaseUrl;
  // Four fifths of the run measuring: TURNS turns of each of the four measurements.
  const per = Math.max(2, Math.round((opts.seconds * 4) / 5 / (4 * TURNS)));
  const warmup = Math.max(1, Math.round(per / 4));
  const benchUrl = withDatabase(baseUrl, BENCH_DB);
  const pgbenchUrl = withDatabase(baseUrl, PGBENCH_DB);
  const tmp = await mkdtemp(path.join(os.tmpdir(), "holdfast-bench-"));
  let ds: DataSource | undefined;
  const runners: QueryRunner[] = [];
  try {
    log(`scratch databases ${BENCH_DB} and ${PGBENCH_DB} on ${new URL(baseUrl).host}; ${TURNS} turns of ${per} s per measurement (pairs after ${warmup} s warm-up)`);
    await recreateDatabase(baseUrl, BENCH_DB);
    await recreateDatabase(baseUrl, PGBENCH_DB);
    ds = await connectAndMigrate({ url: benchUrl, poolSize: CLIENTS + 4, applicationName: "holdfast-bench" });
    const [{ version }] = (await ds.query(`SELECT current_setting('server_version') AS version`)) as [{ version: string }];

    log(`pgbench -i -s 16 ${PGBENCH_DB}`);
    await runPgbench(pgbenchUrl, ["-i", "-q", "-s", "16"]);

    const distinct: string[] = [];
    for (let i = 0; i < CLIENTS; i++) distinct.push(await fundedAccount(ds, `d${i}`));
    const hot = await fundedAccount(ds, "hot");
    for (let i = 0; i < CLIENTS; i++) {
      const qr = ds.createQueryRunner();
      await qr.connect();
      runners.push(qr);
    }

    const script = path.join(tmp, "hot-row.sql");
    await writeFile(script, HOT_SCRIPT);
    const d: Pairs = { pairs: 0, seconds: 0, latencies: [] };
    const h: Pairs = { pairs: 0, seconds: 0, latencies: [] };
    const pgbenchRuns: number[] = [];
    const pgbenchHotRuns: number[] = [];
    await checkpoint(ds);
    const machine = machineMeter();
    // A checkpoint after each measurement (outside its seconds), so that none lands inside one.
    for (let turn = 1; turn <= TURNS; turn++) {
      log(`turn ${turn}/${TURNS}: ledger pairs on ${CLIENTS} accounts; pgbench -N -c ${CLIENTS} -j 2 -T ${per}; ledger pairs on one account; pgbench -n -f hot-row.sql -c ${CLIENTS} -j 2 -T ${per}`);
      await measurePairs(runners, distinct, warmup, per, d);
      await checkpoint(ds);
      pgbenchRuns.push(tps(await runPgbench(pgbenchUrl, ["-N", "-c", String(CLIENTS), "-j", "2", "-T", String(per)])));
      await checkpoint(ds);
      await measurePairs(runners, Array<string>(CLIENTS).fill(hot), warmup, per, h);
      await checkpoint(ds);
      pgbenchHotRuns.push(tps(await runPgbench(pgbenchUrl, ["-n", "-f", script, "-c", String(CLIENTS), "-j", "2", "-T", String(per)])));
      await checkpoint(ds);
    }
    const { steal_pct } = machine();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const pgbenchTps = mean(pgbenchRuns);
    const pgbenchHotTps = mean(pgbenchHotRuns);
    const dist = summary(d);
    const hotPairs = summary(h);

    log(`checking the books`);
    const [{ overdrafts }] = (await ds.query(
      `SELECT count(*)::int AS overdrafts FROM ledger_accounts WHERE kind = 'user' AND credits_posted - debits_posted - debits_pending < 0`,
    )) as [{ overdrafts: number }];
    const report = await ds.transaction("REPEATABLE READ", (m) => checkLedger(m));
    for (const p of report.problems.slice(0, 20)) log(`ledger check: [${p.invariant}] ${p.subject}: expected ${p.expected}, found ${p.found}`);

    const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
    const r: Result = {
      pairs_per_s_distinct: round(dist.pairsPerSecond),
      pairs_per_s_hot: round(hotPairs.pairsPerSecond),
      pgbench_tps: round(pgbenchTps),
      pgbench_hot_tps: round(pgbenchHotTps),
      ratio_distinct: round(dist.pairsPerSecond / pgbenchTps, 3),
      ratio_hot: round(hotPairs.pairsPerSecond / pgbenchHotTps, 3),
      steal_pct,
      overdrafts,
      ledger_check_ok: report.ok,
    };

    const verdict = (x: number) => (x >= TARGET_RATIO ? "ok" : "BELOW TARGET");
    const table = [
      `Holdfast ledger bench: PostgreSQL ${version}, ${CLIENTS} clients, each measurement ${TURNS} turns of ${per} s (pairs after ${warmup} s warm-up)`,
      ``,
      `  measurement             per second   detail`,
      `  pairs_per_s_distinct    ${pad(r.pairs_per_s_distinct)}   hold+post on ${CLIENTS} accounts (system stripes by connection); pair p50 ${dist.p50Ms.toFixed(1)} ms, p99 ${dist.p99Ms.toFixed(1)} ms`,
      `  pgbench_tps             ${pad(r.pgbench_tps)}   pgbench -N -c ${CLIENTS} -j 2, scale 16; turns ${pgbenchRuns.map((x) => x.toFixed(0)).join(", ")}`,
      `  pairs_per_s_hot         ${pad(r.pairs_per_s_hot)}   hold+post on one account; pair p50 ${hotPairs.p50Ms.toFixed(1)} ms, p99 ${hotPairs.p99Ms.toFixed(1)} ms`,
      `  pgbench_hot_tps         ${pad(r.pgbench_hot_tps)}   one-row UPDATE + history INSERT per transaction; turns ${pgbenchHotRuns.map((x) => x.toFixed(0)).join(", ")}`,
      ``,
      `  pairs_per_s_distinct / pgbench_tps      ${r.ratio_distinct.toFixed(3)}   target >= ${TARGET_RATIO}  ${verdict(r.ratio_distinct)}`,
      `  pairs_per_s_hot / pgbench_hot_tps      ${r.ratio_hot.toFixed(3)}   target >= ${TARGET_RATIO}  ${verdict(r.ratio_hot)}`,
      `  steal (host took, while measuring)     ${r.steal_pct} %`,
      `  overdrafts (user accounts below 0)     ${r.overdrafts}`,
      `  ledger_check_ok                        ${r.ledger_check_ok} (${report.counts.transfers} transfers)`,
    ].join("\n");
    if (opts.json) {
      process.stderr.write(`${table}\n`);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    } else {
      process.stdout.write(`${table}\n`);
    }
    return r.overdrafts === 0 && r.ledger_check_ok ? 0 : 1;
  } finally {
    for (const qr of runners) await qr.release();
    if (ds?.isInitialized) await ds.destroy();
    await rm(tmp, { recursive: true, force: true });
    await recreateDatabase(baseUrl, BENCH_DB, true).catch((e: unknown) => log(`could not drop ${BENCH_DB}: ${String(e)}`));
    await recreateDatabase(baseUrl, PGBENCH_DB, true).catch((e: unknown) => log(`could not drop ${PGBENCH_DB}: ${String(e)}`));
  }
}

function pad(x: number): string {
  return x.toFixed(1).padStart(10);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench-ledger failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(2);
  },
);
