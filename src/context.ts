/**
 * The small set of resources every part of Holdfast is handed explicitly
 * (no module singletons): tests build real instances with their own
 * database and queue prefix.
 */
import type { Redis } from "ioredis";
import { createStripe, type Stripe } from "./billing/stripe-client";
import type { DataSource } from "typeorm";
import { type Clock, systemClock } from "./clock";
import type { Config } from "./config";
import { createDataSource } from "./db/data-source";
import { JobEventPublisher } from "./jobs/events";
import type { KindRegistry, KindServices } from "./jobs/kind";
import { isDependencyDown } from "./lib/dependency-errors";
import { createLogger, type Logger } from "./logger";
import { createCommandRedis, createQueues, type Queues } from "./queues";
import { ApiKeyCache } from "./users/key-cache";

export interface AppContext {
  config: Config;
  ds: DataSource;
  /** Shared connection for queues and commands (not for blocking subscribers); fails fast while Redis is down. */
  redis: Redis;
  queues: Queues;
  logger: Logger;
  clock: Clock;
  kinds: KindRegistry;
  /** Services job kinds may use (storage, script registry, AI client …). */
  services: KindServices;
  /** Job progress and status events for watchers (Redis pub/sub). */
  jobEvents: JobEventPublisher;
  /** Stripe's client; null when STRIPE_SECRET_KEY is not set (payment routes answer 503). */
  stripe: Stripe | null;
  /** API keys this process answered for recently (AUTH_CACHE_TTL_MS). */
  authCache: ApiKeyCache;
}

export interface ContextOptions {
  kinds: KindRegistry;
  services?: KindServices;
  clock?: Clock;
  logger?: Logger;
  poolSize?: number;
  name?: string;
  /**
   * Connect to PostgreSQL now (default true). A process started by
   * src/processes/run.ts passes false and calls waitForDependencies, so it
   * can start while PostgreSQL is still down.
   */
  connect?: boolean;
}

export async function createContext(config: Config, opts: ContextOptions): Promise<AppContext> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, opts.name);
  const ds = createDataSource({
    url: config.DATABASE_URL, poolSize: opts.poolSize, applicationName: opts.name ?? "holdfast",
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS, lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
  });
  if (opts.connect !== false) await ds.initialize();
  // Fails fast while Redis is away (see createCommandRedis): nobody waiting on an answer hangs on it.
  const redis = createCommandRedis(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS);
  // Refused connections are reported by the commands that fail; keep the event off stderr.
  redis.on("error", (err: Error) => logger.debug({ err }, "redis connection error"));
  const queues = createQueues(redis, config.QUEUE_PREFIX, config.REDIS_COMMAND_TIMEOUT_MS + 250);
  return {
    config, ds, redis, queues, logger, clock: opts.clock ?? systemClock, kinds: opts.kinds, services: opts.services ?? {},
    jobEvents: new JobEventPublisher(redis, config.QUEUE_PREFIX),
    stripe: createStripe(config),
    authCache: new ApiKeyCache(config.AUTH_CACHE_TTL_MS),
  };
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.queues.close();
  ctx.redis.disconnect();
  if (ctx.ds.isInitialized) await ctx.ds.destroy();
}

export interface WaitOptions {
  /** First retry delay in ms (default 250), doubled up to maxDelayMs (default 5000), with jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Stop waiting (a signal while starting). */
  signal?: AbortSignal;
}

/**
 * Wait until PostgreSQL and Redis both answer, then run `prepare` (migrations,
 * the bootstrap admin), retrying the whole with backoff while the failure is
 * a dependency being down or restarting (logged at each attempt). Any other
 * failure (a wrong password, a broken migration) is thrown at once: waiting
 * would not fix it.
 */
export async function waitForDependencies(ctx: AppContext, prepare: () => Promise<void> = async () => undefined, opts: WaitOptions = {}): Promise<void> {
  const maxDelay = opts.maxDelayMs ?? 5000;
  let delay = opts.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      if (!ctx.ds.isInitialized) await ctx.ds.initialize();
      await connectionSettled(ctx.redis, 2000);
      await ctx.redis.ping();
      await prepare();
      if (attempt > 1) ctx.logger.info({ attempts: attempt }, "dependencies answer; starting");
      return;
    } catch (err) {
      if (!isDependencyDown(err)) throw err;
      const waitMs = Math.round(delay * (0.75 + Math.random() * 0.5));
      ctx.logger.warn({ attempt, retryInMs: waitMs, err: err instanceof Error ? err.message : String(err) }, "waiting for PostgreSQL and Redis");
      await new Promise((r) => setTimeout(r, waitMs));
      delay = Math.min(maxDelay, delay * 2);
    }
  }
}

/**
 * A client created a moment ago is still connecting, and without an offline queue its PING
 * would fail at once ("Stream isn't writeable"): every healthy start-up would log that it is
 * waiting for Redis. Wait for the connection to become ready or to fail (a Redis that is down
 * refuses at once), at most `ms`.
 */
function connectionSettled(redis: AppContext["redis"], ms: number): Promise<void> {
  if (redis.status !== "connecting" && redis.status !== "connect") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const ev of ["ready", "error", "close"]) redis.off(ev, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const ev of ["ready", "error", "close"]) redis.once(ev, done);
  });
}
