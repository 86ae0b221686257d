/**
 * The small set of resources every part of Holdfast is handed explicitly
 * (no module singletons): tests build real instances with their own
 * database and queue prefix.
 */
import type { Redis } from "ioredis";
import type { DataSource } from "typeorm";
import { type Clock, systemClock } from "./clock";
import type { Config } from "./config";
import { createDataSource } from "./db/data-source";
import type { KindRegistry, KindServices } from "./jobs/kind";
import { createLogger, type Logger } from "./logger";
import { createCommandRedis, createQueues, type Queues } from "./queues";

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
  // Fails fast while Redis is away (see createCommandRedis): nobody waiting on an answer hangs on it.
  const redis = createCommandRedis(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS);
  // Refused connections are reported by the commands that fail; keep the event off stderr.
  redis.on("error", (err: Error) => logger.debug({ err }, "redis connection error"));
  const queues = createQueues(redis, config.QUEUE_PREFIX, config.REDIS_COMMAND_TIMEOUT_MS + 250);
  return { config, ds, redis, queues, logger, clock: opts.clock ?? systemClock, kinds: opts.kinds, services: opts.services ?? {} };
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.queues.close();
  ctx.redis.disconnect();
  if (ctx.ds.isInitialized) await ctx.ds.destroy();
}
