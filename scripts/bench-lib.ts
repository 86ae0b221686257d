/**
 * Helpers of `npm run bench`: the scratch database, the API and worker child
 * processes, and what they cost (CPU time from /proc, peak memory).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { PROCESS_NODE_ARGS } from "./node-args.json";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import path from "node:path";
import { Client } from "pg";

export const SCRATCH_DB = "holdfast_bench_e2e";

export const note = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Drop and create the scratch database; returns its URL. */
export async function freshDatabase(baseUrl: string): Promise<string> {
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${SCRATCH_DB}`);
  } finally {
    await admin.end();
  }
  return withDatabase(baseUrl, SCRATCH_DB);
}

export async function dropDatabase(baseUrl: string): Promise<void> {
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH_DB} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
}

/** Start dist/scripts/bench-process.js as `role`; resolves once it logged that it is ready. */
export function startRole(role: "api" | "worker", env: Record<string, string>): Promise<Proc> {
  // The flags production processes run with, unless BENCH_NODE_ARGS says otherwise.
  const nodeArgs = process.env.BENCH_NODE_ARGS !== undefined ? process.env.BENCH_NODE_ARGS.split(" ").filter(Boolean) : PROCESS_NODE_ARGS;
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, "bench-process.js"), role], {
    env: { ...process.env, ...env, LOG_LEVEL: "info", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      if (out.length < 100_000) out += b.toString();
      if (out.includes(`holdfast bench-${role} ready`)) resolve({ child, pid: child.pid!, exited });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`${role} process exited (${code}) before ready:\n${out.slice(-4000)}`)));
  });
}

/** Peak resident set (VmHWM) of a live process, in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

const CLK_TCK = 100;

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Processes whose command line contains `needle` (PostgreSQL backends name their database). */
export function pidsMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ").includes(needle)) pids.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The redis-server serving this URL (its command line names the port), if it runs on this machine. */
export function redisPids(redisUrl: string): number[] {
  const port = new URL(redisUrl).port || "6379";
  return pidsMatching(`redis-server`).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`:${port}`));
}

/**
 * CPU used by each group of processes between start and stop, per job: where
 * the time goes. Unlike throughput, it barely depends on what else runs on the
 * machine (Redis is shared, so its figure includes other clients' load).
 */
export function cpuMeter(groups: Record<string, () => number[]>) {
  const read = () => Object.fromEntries(Object.entries(groups).map(([k, f]) => [k, new Map(f().map((p) => [p, cpuMs(p)]))]));
  const start = read();
  return (jobs: number): Record<string, number> => {
    const end = read();
    return Object.fromEntries(
      Object.keys(groups).map((k) => {
        let ms = 0;
        for (const [pid, t] of end[k]!) ms += t - (start[k]!.get(pid) ?? 0);
        return [k, ms / jobs];
      }),
    );
  };
}

/**
 * The whole machine between start and stop, from /proc/stat: how much of its
 * CPU time was busy, and how much the hypervisor took for other guests
 * (steal). Latency on a nearly full machine is mostly queueing, and a VM's
 * speed moves with steal, so the latency figures are read next to these.
 */
export function machineMeter(): () => { busy_pct: number; steal_pct: number } {
  const read = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
  };
  const start = read();
  return () => {
    const end = read();
    const total = end.total - start.total || 1;
    const steal = end.steal - start.steal;
    return { busy_pct: round((100 * (total - (end.idle - start.idle) - steal)) / total, 1), steal_pct: round((100 * steal) / total, 1) };
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * POST a `bench-noop` job with the next key (round robin); resolves with the
 * status code. Plain http with keep-alive: the client's own CPU is measured too.
 */
export function submitter(port: number, keys: string[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const body = JSON.stringify({ kind: "bench-noop", input: {} });
  let turn = 0;
  return () =>
    new Promise<number>((resolve, reject) => {
      const key = keys[turn++ % keys.length]!;
      const req = http.request(
        { host: "127.0.0.1", port, path: "/api/v1/jobs", method: "POST", agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${key}` } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
}

/** Cumulative bucket counts of one labelled Prometheus histogram, by upper bound (+Inf included). */
export type Buckets = Map<number, number>;

/** The buckets of `name{label="value"}` in Prometheus text (prom-client puts `le` first). */
export function histogramBuckets(text: string, name: string, label: string, value: string): Buckets {
  const out: Buckets = new Map();
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)",${label}="${value}"\\} (\\d+)$`, "gm");
  for (const m of text.matchAll(re)) out.set(m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2]));
  return out;
}

/**
 * The q-quantile of what was observed between two scrapes, interpolated
 * within its bucket as Prometheus's histogram_quantile does (so it is only as
 * exact as the buckets); NaN when nothing was observed.
 */
export function quantileBetween(before: Buckets, after: Buckets, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => after.get(b)! - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    if (bounds[i] === Infinity) return lower;
    const below = i === 0 ? 0 : counts[i - 1]!;
    return lower + ((bounds[i]! - lower) * (rank - below)) / Math.max(1, counts[i]! - below);
  }
  return bounds[bounds.length - 2] ?? NaN;
}
