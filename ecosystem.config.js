/**
 * PM2 on one machine: `npm run build && npx pm2 start ecosystem.config.js`.
 *
 *   holdfast-api        cluster mode, API_INSTANCES processes (default 2) sharing PORT
 *   holdfast-worker     WORKER_INSTANCES processes (default 2), WORKER_CONCURRENCY jobs each
 *   holdfast-scheduler  exactly one: it registers and runs the periodic safety nets
 *
 * Stopping: PM2 sends SIGINT, waits kill_timeout, then SIGKILL. A worker gets
 * WORKER_SHUTDOWN_TIMEOUT_MS (default 62 s) to let running jobs finish — longer
 * than the longest job (scripts may run 60 s) — and PM2 waits 70 s, so a job
 * is never killed mid-run by a routine restart. A SIGKILL would still be safe
 * (the job stalls and is retried or refunded), only slower.
 *
 * Memory: each process runs with PROCESS_NODE_ARGS, as `npm run start:*` and
 * the benchmark do: a 160 MB old-generation heap (V8 collects before the heap
 * grows: measured peak RSS 145–160 MB per process under load instead of
 * 160–230 MB), and two garbage-collector settings that keep full collections
 * rare at that size (see docs/benchmarks.md, "Garbage collection");
 * max_memory_restart stays the backstop.
 *
 * Configuration is the environment of `pm2 start` (or .env): every Holdfast
 * variable below is passed through; PORT (default 3000) and ADMIN_API_KEY
 * are the ones to set first.
 */
const fs = require("node:fs");
const path = require("node:path");

const KEYS = [
  "NODE_ENV", "PORT", "PUBLIC_URL", "DATABASE_URL", "REDIS_URL", "QUEUE_PREFIX", "ADMIN_API_KEY", "RATE_LIMIT_PER_MINUTE",
  "JSON_BODY_LIMIT_BYTES", "LOG_LEVEL", "WORKER_CONCURRENCY", "WORKER_NICE", "WORKER_LOCK_DURATION_MS", "WORKER_STALLED_INTERVAL_MS",
  "WORKER_MAX_STALLED_COUNT", "SHUTDOWN_TIMEOUT_MS", "JOB_ATTEMPTS", "JOB_BACKOFF_MS", "HOLD_TTL_SECONDS", "AI_BASE_URL",
  "AI_API_KEY", "AI_MODEL", "STORAGE_DIR", "MAX_UPLOAD_BYTES", "SCRIPTS_DIR", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
  "STRIPE_API_BASE", "SMTP_URL", "MAIL_FROM", "OUTBOX_DIR",
];

/** .env lines (KEY=VALUE) for keys the environment does not set. */
function dotenv() {
  const file = path.join(__dirname, ".env");
  if (!fs.existsSync(file)) return {};
  const out = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m && m[2].trim() !== "") out[m[1]] = m[2].trim();
  }
  return out;
}

const source = { NODE_ENV: "production", PORT: "3000", ...dotenv(), ...process.env };
const env = Object.fromEntries(KEYS.filter((k) => source[k] !== undefined && source[k] !== "").map((k) => [k, source[k]]));
const count = (name, def) => {
  const n = Number(process.env[name] ?? def);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${process.env[name]}`);
  return n;
};
const workerShutdownMs = count("WORKER_SHUTDOWN_TIMEOUT_MS", 62_000);
const { PROCESS_NODE_ARGS } = require("./scripts/node-args.json");

module.exports = {
  apps: [
    {
      name: "holdfast-api",
      script: "dist/src/processes/api.js",
      cwd: __dirname,
      exec_mode: "cluster",
      instances: count("API_INSTANCES", 2),
      // The process says "ready" once it listens (process.send), so reloads never drop requests.
      wait_ready: true,
      listen_timeout: 30_000,
      kill_timeout: 35_000, // in-flight requests end fast; the process exits by SHUTDOWN_TIMEOUT_MS + 5 s
      max_memory_restart: "400M",
      node_args: PROCESS_NODE_ARGS,
      env,
    },
    {
      name: "holdfast-worker",
      script: "dist/src/processes/worker.js",
      cwd: __dirname,
      exec_mode: "fork",
      instances: count("WORKER_INSTANCES", 2),
      wait_ready: true,
      listen_timeout: 30_000,
      kill_timeout: workerShutdownMs + 8_000,
      max_memory_restart: "400M",
      node_args: PROCESS_NODE_ARGS,
      env: { ...env, SHUTDOWN_TIMEOUT_MS: String(workerShutdownMs) },
    },
    {
      name: "holdfast-scheduler",
      script: "dist/src/processes/scheduler.js",
      cwd: __dirname,
      exec_mode: "fork",
      // Never more than one: it owns the job schedulers.
      instances: 1,
      wait_ready: true,
      listen_timeout: 30_000,
      kill_timeout: 35_000, // > SHUTDOWN_TIMEOUT_MS (default 25 s) + 5 s grace
      node_args: PROCESS_NODE_ARGS,
      env,
    },
  ],
};
