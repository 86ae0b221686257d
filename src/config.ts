/**
 * Configuration comes from the environment only, validated once at start-up.
 * A bad variable stops the process with a message that names it.
 */
import { z } from "zod";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

const int = (def: number) =>
  z.coerce.number().int().nonnegative().default(def);

export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** HTTP port of the API (default 3000). */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Public base URL used in links (checkout return URLs, printed hints). */
  PUBLIC_URL: optionalString,
  DATABASE_URL: z.string().url().default("postgres://holdfast:holdfast@127.0.0.1:54329/holdfast"),
  /**
   * PostgreSQL statement_timeout of the app's sessions in ms (default 30000; 0 = none): a statement
   * stuck this long is cancelled (the request answers 503) instead of holding its locks on.
   * Migrations and `npm run ledger:check` use their own sessions without it.
   */
  DB_STATEMENT_TIMEOUT_MS: int(30_000),
  /**
   * PostgreSQL lock_timeout of the app's sessions in ms (default 5000; 0 = none): waiting longer than
   * this for a row lock (a user's account, a job) gives up with 503 rather than queueing behind it.
   */
  DB_LOCK_TIMEOUT_MS: int(5_000),
  REDIS_URL: z.string().url().default("redis://127.0.0.1:63799"),
  /**
   * Longest wait in ms for one Redis command someone is waiting on (queue
   * writes, publishes, rate-limit counters; default 500). While Redis is
   * unreachable these fail at once; workers wait Redis out instead.
   */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).default(500),
  /** BullMQ key prefix; use a hash tag ("{holdfast}") on Redis Cluster. */
  QUEUE_PREFIX: z.string().min(1).default("holdfast"),
  /** The first admin's API key; its user is created on start if missing. */
  ADMIN_API_KEY: optionalString,
  /** Requests per minute per API key on credit-consuming routes (default 600; 0 = off). */
  RATE_LIMIT_PER_MINUTE: int(600),
  /**
   * How long (ms) an API process may keep answering for a key from memory
   * (default 2000; 0 = look up every request). A key revoked, or a role
   * changed, by another process takes effect within this time; a pause is
   * always checked in the database where it matters (see src/users/key-cache.ts).
   */
  AUTH_CACHE_TTL_MS: int(2000),
  /** Uploads (POST /files) per minute per API key (default 60; 0 = off). */
  UPLOAD_RATE_LIMIT_PER_MINUTE: int(60),
  /** Credit purchases (POST /credits/purchase) per minute per API key (default 10; 0 = off). */
  PURCHASE_RATE_LIMIT_PER_MINUTE: int(10),
  /** Open event streams (GET /jobs/:id/events) per API key and API process (default 10; 0 = no cap); more → 429. */
  SSE_MAX_STREAMS_PER_KEY: int(10),
  /** Bytes of files a user may keep stored, uploads and job outputs together (default 5 GiB; 0 = no quota); beyond → 413. */
  STORAGE_QUOTA_BYTES: int(5 * 1024 * 1024 * 1024),
  /** Idempotency keys are kept this many hours, like Stripe's (default 24). */
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce.number().int().min(1).default(24),
  /** Days a processed Stripe event keeps its payload; the id row stays for deduplication (default 30). */
  STRIPE_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  /** Days sent or failed notification rows are kept (default 90). */
  NOTIFICATION_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  /** Days a finished job keeps its input and result; credits and status stay forever (default 30; 0 = keep). */
  JOB_RETENTION_DAYS: int(30),
  /** Largest JSON body in bytes (default 1 MiB). */
  JSON_BODY_LIMIT_BYTES: int(1024 * 1024),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  /** Job worker concurrency per process (default 10). */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(10),
  /**
   * Fair dispatch across users (default on): each user's k-th waiting job is
   * queued at BullMQ priority k, so users with work waiting take turns and a
   * user with one job is not stuck behind another's backlog (src/jobs/fairness.ts).
   * `off` is plain first in, first out.
   */
  FAIR_DISPATCH: z.enum(["on", "off"]).default("on"),
  /**
   * Most jobs of one user running at once across all workers (default 0 = no cap; needs FAIR_DISPATCH=on).
   * A job over the cap waits a moment (USER_CAP_RETRY_MS) without using an attempt, and the worker takes
   * the next job — another user's. A user alone with a cap runs that many jobs, not more.
   */
  USER_MAX_RUNNING: int(0),
  /** How long a job held back by USER_MAX_RUNNING waits before it is tried again, in ms (default 1000). */
  USER_CAP_RETRY_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  /**
   * CPU priority (nice, 0–19; default 10) of a process that only runs
   * workers. Submissions are what people wait on, so where API and workers
   * share a machine the API gets the cores first; a worker still has every
   * core the API leaves idle. 0 leaves the priority alone.
   */
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** BullMQ lock duration in ms: a worker silent this long is presumed dead (default 30000). */
  WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often stalled (dead-worker) jobs are looked for, in ms (default 30000). */
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Times a job may stall before it is failed and refunded (default 1). */
  WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(1),
  /** Bounded wait for running jobs on SIGTERM/SIGINT, in ms (default 25000). */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
  /**
   * Attempts for a job that fails through the platform's fault (default 3, at
   * most 20: BullMQ doubles the wait each retry, so 20 attempts from 1 s
   * already wait six days in all; see src/jobs/hold-deadline.ts).
   */
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** First retry delay in ms, doubled each attempt (default 1000, at most 1 hour). */
  JOB_BACKOFF_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
  /**
   * How long a hold lives past the job's longest possible run, in seconds
   * (default 3600, at most 30 days). The reaper voids holds older than this whose job is not live.
   */
  HOLD_TTL_SECONDS: z.coerce.number().int().min(1).max(30 * 24 * 3600).default(3600),
  /**
   * PostgreSQL unreachable (restarting, crashed, cut off) when a worker claims
   * a job: the job waits in BullMQ's delayed set without using an attempt,
   * first for about this long in ms (default 1000), doubling each time up to
   * JOB_OUTAGE_RETRY_MAX_MS (default 30000), with jitter; never past its
   * hold's deadline (src/workers/outage.ts). The same waits pace the retries
   * of a finished job's ending.
   */
  JOB_OUTAGE_RETRY_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  JOB_OUTAGE_RETRY_MAX_MS: z.coerce.number().int().min(10).max(600_000).default(30_000),
  /**
   * How long in ms a finished job keeps retrying its ending (settle or
   * refund) while PostgreSQL is unreachable, before the job is left to
   * BullMQ's retry, which runs it again (charged once) (default 120000).
   */
  JOB_ENDING_RETRY_FOR_MS: z.coerce.number().int().min(0).max(3_600_000).default(120_000),

  /** OpenAI-compatible endpoint for the `ai` kind; unset → ai jobs answer 503. */
  AI_BASE_URL: optionalString,
  AI_API_KEY: optionalString,
  AI_MODEL: z.string().default("gpt-4o-mini"),
  /** Hard limit of one ai job attempt in ms, streaming included (default 120000); past it the job is refunded. */
  AI_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),

  /** Folder for uploaded and produced files (default ./storage). */
  STORAGE_DIR: z.string().default("storage"),
  /** The dashboard's static build (`npm run build` writes it; default dist/web). */
  DASHBOARD_DIR: z.string().default("dist/web"),
  /** Largest upload in bytes (default 512 MiB). */
  MAX_UPLOAD_BYTES: int(512 * 1024 * 1024),
  /** Folder of registered scripts for the `script` kind (default ./scripts/registry). */
  SCRIPTS_DIR: z.string().default("scripts/registry"),
  /**
   * CPU seconds one script run may use (default 60; 0 = no limit). Past it the
   * script dies by SIGXCPU: the user's failure, charged (src/jobs/kinds/script/kind.ts).
   */
  SCRIPT_CPU_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  /**
   * Writable memory one script run may use, in MB (default 1024; 0 = no limit;
   * RLIMIT_DATA: V8 heap, buffers, malloc). Running out is the user's failure, charged.
   */
  SCRIPT_MEMORY_MB: z.coerce.number().int().refine((n) => n === 0 || (n >= 64 && n <= 1_048_576), "0 or 64–1048576").default(1024),

  /** Stripe: unset → purchase and subscription routes answer 503. */
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  /** Override Stripe's API host (tests point it at a loopback fake), e.g. http://127.0.0.1:12111 */
  STRIPE_API_BASE: optionalString,

  /** SMTP server URL (smtp://user:pass@host:port); unset → .eml files in OUTBOX_DIR. */
  SMTP_URL: optionalString,
  MAIL_FROM: z.string().default("Holdfast <no-reply@holdfast.local>"),
  OUTBOX_DIR: z.string().default("outbox"),

  /** Operator's address: gets a copy of every new dispute (unset → no copy). */
  ADMIN_EMAIL: optionalString.pipe(z.email("must be an email address").optional()),
  /** Bearer token that may read /metrics besides admin keys (Prometheus' `authorization` credentials); unset → admin keys only. */
  METRICS_TOKEN: optionalString,
  /** How long (ms) the money metrics computed from the database and BullMQ are reused between scrapes (default 5000). */
  METRICS_CACHE_MS: int(5000),
  /** How often (ms) the scheduler runs `ledger:check` (default 300000); a failure raises a `ledger_check_failed` alert. */
  LEDGER_CHECK_INTERVAL_MS: z.coerce.number().int().min(1000).default(300_000),
  /** How often (ms) the scheduler looks for spend spikes and estimate drift (default 300000). */
  ALERT_CHECK_INTERVAL_MS: z.coerce.number().int().min(1000).default(300_000),
  /** An alert of one type about one subject (user, kind, key) is raised and mailed at most once per this many minutes (default 60). */
  ALERT_WINDOW_MINUTES: z.coerce.number().int().min(1).default(60),
  /** Spend spike: last hour's spend above this factor × the user's trailing hourly average (default 5) … */
  ALERT_SPEND_SPIKE_FACTOR: z.coerce.number().positive().default(5),
  /** … and at least this many credits (default 500), so small users' noise is no spike. */
  ALERT_SPEND_SPIKE_FLOOR: z.coerce.number().int().min(1).default(500),
  /** Hours before the last one that make the trailing hourly average (default 24). */
  ALERT_SPEND_BASELINE_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),
  /** Estimate drift: the window (minutes) whose charged/estimated ratio per kind is compared with its baseline (default 60). */
  ALERT_DRIFT_WINDOW_MINUTES: z.coerce.number().int().min(1).default(60),
  /** Hours before the window that make the baseline ratio (default 168, a week). */
  ALERT_DRIFT_BASELINE_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(168),
  /** Relative change of the ratio that is drift (default 0.5: the ratio moved by half of itself, up or down). */
  ALERT_DRIFT_THRESHOLD: z.coerce.number().positive().default(0.5),
  /** Finished jobs of a kind needed in the window and in the baseline before drift is judged (default 20). */
  ALERT_DRIFT_MIN_JOBS: z.coerce.number().int().min(1).default(20),
  /** Repeated 402s: this many 402 answers to one API key … (default 20) */
  ALERT_402_THRESHOLD: z.coerce.number().int().min(1).default(20),
  /** … within this many seconds (default 300). */
  ALERT_402_WINDOW_SECONDS: z.coerce.number().int().min(1).default(300),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parse and validate configuration; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(withLocalServerDefaults(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join(".")}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/**
 * A checkout that runs its own PostgreSQL and Redis on other ports (HOLDFAST_PG_PORT /
 * HOLDFAST_REDIS_PORT, see scripts/services.sh) defaults to those servers, so `npm run migrate`
 * or `npm run ledger:check` there never reaches another checkout's database.
 */
function withLocalServerDefaults(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  const pgPort = env.HOLDFAST_PG_PORT?.trim();
  const redisPort = env.HOLDFAST_REDIS_PORT?.trim();
  if (!env.DATABASE_URL?.trim() && pgPort) out.DATABASE_URL = `postgres://holdfast:holdfast@127.0.0.1:${pgPort}/holdfast`;
  if (!env.REDIS_URL?.trim() && redisPort) out.REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  return out;
}
