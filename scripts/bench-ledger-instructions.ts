/**
 * `npm run bench:ledger:instructions [-- --json]`: the CPU instructions
 * PostgreSQL executes for one hold + post pair, counted by valgrind's
 * callgrind. Unlike pairs per second, the count does not depend on how fast
 * this VM runs today or what else runs beside it (the same code and data
 * give the same count to within 0.01 %), so it is the figure for an A/B of a
 * change to the ledger's SQL on a noisy machine: run it on both codes.
 *
 *   instructions_per_pair   Ir of `SELECT * FROM ledger_hold(…)` + `SELECT * FROM ledger_settle(…)`
 *                           (hold 5, capture 3: a partial capture that also writes the release),
 *                           16 accounts in turn, each statement autocommitted
 *
 * How: a scratch cluster (initdb in a temporary directory, its own port and
 * socket, never the project's server) is migrated with the project's
 * migrations and given 16 funded accounts and a history of pairs through the
 * same functions, then ANALYZEd (plans as a live database has them, not the
 * sequential scans the planner picks for near-empty tables); it is stopped,
 * and `postgres --single` runs SHORT and then LONG pairs under callgrind on
 * copies of it. The count per pair is the difference over LONG − SHORT
 * pairs, so start-up, catalog loading and the first calls' plan building
 * cancel out. Ids are fixed (md5 of a counter), so both runs write the same
 * rows.
 *
 * Needs valgrind (installed with apt when run as root, like services.sh
 * installs PostgreSQL) and the PostgreSQL server binaries. Takes about a
 * minute. --json prints exactly one JSON line on stdout.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { connectAndMigrate } from "../src/db/data-source";
import { grant, hold, post } from "../src/ledger";
import { createUser } from "../src/users/users";

const ACCOUNTS = 16;
const HISTORY_PAIRS = 3000;
const SHORT = 100;
const LONG = 600;
const PG_USER = "postgres";
const isRoot = process.getuid?.() === 0;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function pgBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "postgres"))) : [];
  versions.sort((a, b) => Number(a) - Number(b));
  const v = versions.at(-1);
  if (!v) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql (run `bash scripts/services.sh up` once, or apt-get install postgresql)");
  return path.join(root, v, "bin");
}

function ensureValgrind(): void {
  try {
    execFileSync("valgrind", ["--version"], { stdio: "ignore" });
    return;
  } catch {
    if (!isRoot) throw new Error("valgrind is not installed (apt-get install -y valgrind)");
  }
  log("installing valgrind with apt");
  execFileSync("bash", ["-c", "(apt-get install -y valgrind || (apt-get update && apt-get install -y valgrind)) >&2"], { stdio: ["ignore", "inherit", "inherit"] });
}

/** Run a program as the PostgreSQL system user when we are root (PostgreSQL refuses to run as root). */
function asPg(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ["runuser", ["-u", PG_USER, "--", cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[], opts: { input?: string } = {}): string {
  const [c, a] = asPg(cmd, args);
  return execFileSync(c, a, { input: opts.input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A fixed uuid per label, so every run writes the same ids. */
const fixedId = (label: string) => {
  const h = createHash("md5").update(label).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Start a server on the cluster, migrate it, fund the accounts, write a history, ANALYZE; stop it. */
async function prepareCluster(bin: string, dir: string, data: string): Promise<string[]> {
  const port = await freePort();
  run(path.join(bin, "pg_ctl"), ["-D", data, "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "-l", path.join(dir, "server.log"), "-w", "start"]);
  try {
    const ds = await connectAndMigrate({ url: `postgres://${PG_USER}@127.0.0.1:${port}/postgres`, poolSize: 2, applicationName: "holdfast-bench" });
    try {
      const accounts: string[] = [];
      for (let i = 0; i < ACCOUNTS; i++) {
        const { user } = await createUser(ds.manager, { email: `bench-${i}-${randomUUID()}@example.com` });
        accounts.push((await grant(ds.manager, { id: randomUUID(), userId: user.id, amount: 1e12, category: "purchase" })).accountId);
      }
      for (let i = 0; i < HISTORY_PAIRS; i++) {
        const id = randomUUID();
        await hold(ds.manager, { id, accountId: accounts[i % ACCOUNTS]!, amount: 5 });
        await post(ds.manager, { id: randomUUID(), pendingId: id, amount: 3 });
      }
      await ds.query("ANALYZE");
      await ds.query("CHECKPOINT");
      return accounts;
    } finally {
      await ds.destroy();
    }
  } finally {
    run(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
  }
}

function pairsScript(accounts: string[], n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const h = fixedId(`hold-${i}`);
    lines.push(`SELECT * FROM ledger_hold('${h}', '${accounts[i % accounts.length]!}', 5, NULL, NULL, NULL)`);
    lines.push(`SELECT * FROM ledger_settle('${fixedId(`post-${i}`)}', '${h}', 3, 'release', 'voided', NULL)`);
  }
  return `${lines.join("\n")}\n`;
}

/** Instructions of `postgres --single` running the script on a fresh copy of the prepared cluster. */
function countInstructions(bin: string, dir: string, data: string, script: string, label: string): number {
  const copy = path.join(dir, `run-${label}`);
  rmSync(copy, { recursive: true, force: true });
  cpSync(data, copy, { recursive: true });
  if (isRoot) execFileSync("chown", ["-R", `${PG_USER}:`, copy]);
  const out = path.join(dir, `callgrind-${label}.out`);
  const output = run("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, path.join(bin, "postgres"), "--single", "-D", copy, "postgres"], { input: script });
  const created = output.match(/status = "created"/g)?.length ?? 0;
  const statements = script.trim().split("\n").length;
  if (created !== statements) throw new Error(`${label}: ${created} of ${statements} ledger calls answered "created"; output:\n${output.slice(-2000)}`);
  const m = /^summary:\s+(\d+)/m.exec(readFileSync(out, "utf8"));
  if (!m) throw new Error(`${label}: no summary in ${out}`);
  return Number(m[1]);
}

async function main(): Promise<number> {
  const json = process.argv.includes("--json");
  const bad = process.argv.slice(2).filter((a) => a !== "--json");
  if (bad.length > 0) throw new Error(`unknown argument ${bad[0]} (use --json)`);
  const bin = pgBin();
  ensureValgrind();
  const dir = mkdtempSync(path.join(os.tmpdir(), "holdfast-instr-"));
  try {
    chmodSync(dir, 0o755);
    if (isRoot) chownSync(dir, Number(execFileSync("id", ["-u", PG_USER], { encoding: "utf8" })), Number(execFileSync("id", ["-g", PG_USER], { encoding: "utf8" })));
    const data = path.join(dir, "data");
    log(`scratch cluster in ${dir}`);
    run(path.join(bin, "initdb"), ["-D", data, "-U", PG_USER, "--auth=trust", "-E", "UTF8"]);
    log(`migrating, funding ${ACCOUNTS} accounts, writing ${HISTORY_PAIRS} pairs of history`);
    const accounts = await prepareCluster(bin, dir, data);
    log(`callgrind: ${SHORT} pairs, then ${LONG} pairs (single-user postgres; about a minute)`);
    const short = countInstructions(bin, dir, data, pairsScript(accounts, SHORT), "short");
    const long = countInstructions(bin, dir, data, pairsScript(accounts, LONG), "long");
    const perPair = Math.round((long - short) / (LONG - SHORT));
    const result = { instructions_per_pair: perPair, pairs_counted: LONG - SHORT, postgres_bin: bin };
    const text = `Holdfast ledger instructions: ${perPair.toLocaleString("en-US")} instructions per hold + post pair (callgrind Ir, ${LONG} − ${SHORT} pairs, ${bin})`;
    if (json) {
      process.stderr.write(`${text}\n`);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else process.stdout.write(`${text}\n`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench-ledger-instructions failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(2);
  },
);
