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
import { createLogger, type Logger } from "./logger";
import { createQueues, createRedis, type Queues } from "./queues";
import { ApiKeyCache } from "./users/key-cache";

export interface AppContext {
  config: Config;
  ds: DataSource;
  /** Shared connection for queues and commands (not for blocking subscribers). */
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
}

export async function createContext(config: Config, opts: ContextOptions): Promise<AppContext> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, opts.name);
  const ds = createDataSource({ url: config.DATABASE_URL, poolSize: opts.poolSize, applicationName: opts.name ?? "holdfast" });
  await ds.initialize();
  const redis = createRedis(config.REDIS_URL);
  const queues = createQueues(redis, config.QUEUE_PREFIX);
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
