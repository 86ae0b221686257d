/**
 * Queue names, payloads and connections. Redis only dispatches: every payload
 * is an id whose truth lives in PostgreSQL, so losing Redis delays work but
 * never loses money or jobs (the scheduler re-dispatches from the database).
 */
import { Queue, type QueueOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "./logger";

export const QUEUE = {
  /** Paid work; BullMQ job id = jobs.id. */
  jobs: "jobs",
  /** Outgoing email; job id = notifications dedupe key. */
  mail: "mail",
  /** Stripe webhook events, processed with retries; job id = event id. */
  stripeEvents: "stripe-events",
  /** The scheduler's own periodic tasks (relay, reaper, expiry, renewals …). */
  maintenance: "maintenance",
} as const;

export interface JobRunData {
  jobId: string;
}

/** Redis connection suitable for BullMQ (blocking commands need maxRetriesPerRequest null). */
export function createRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra });
}

export interface Queues {
  jobs: Queue<JobRunData>;
  mail: Queue;
  stripeEvents: Queue;
  maintenance: Queue;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string): Queues {
  const opts: QueueOptions = { connection, prefix };
  const jobs = new Queue<JobRunData>(QUEUE.jobs, opts);
  const mail = new Queue(QUEUE.mail, opts);
  const stripeEvents = new Queue(QUEUE.stripeEvents, opts);
  const maintenance = new Queue(QUEUE.maintenance, opts);
  return {
    jobs,
    mail,
    stripeEvents,
    maintenance,
    async close() {
      await Promise.all([jobs.close(), mail.close(), stripeEvents.close(), maintenance.close()]);
    },
  };
}

export interface AddByIdOptions {
  /** BullMQ job name. */
  name: string;
  /** First retry delay in ms, doubled each attempt. */
  backoffMs: number;
  /** How long a completed job stays visible in Redis, in seconds (failed ones: 7 days). */
  keepCompletedSeconds: number;
  logger: Logger;
  /** What the ids are, for the log line ("jobs", "emails" …). */
  what: string;
}

/**
 * Hand committed rows to a queue by their database id (BullMQ job id = row
 * id, so adding twice is a no-op). Never throws: PostgreSQL already has the
 * rows, and the relay re-adds those that never reached Redis; a failure is
 * logged.
 */
export async function addById<D>(queue: Queue<D>, items: { id: string; data: D; attempts: number }[], o: AddByIdOptions): Promise<void> {
  const entry = (x: { id: string; data: D; attempts: number }) => ({
    name: o.name,
    data: x.data,
    opts: {
      jobId: x.id,
      attempts: x.attempts,
      backoff: { type: "exponential", delay: o.backoffMs },
      removeOnComplete: { age: o.keepCompletedSeconds, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
  });
  try {
    if (items.length === 1) {
      // One job (every submit): add is one script call; addBulk wraps it in MULTI/EXEC (measured: 2x the client CPU).
      const e = entry(items[0]!);
      await (queue as Queue).add(e.name, e.data, e.opts);
    } else if (items.length > 1) {
      await (queue as Queue).addBulk(items.map(entry));
    }
  } catch (err) {
    o.logger.warn({ err, count: items.length }, `${o.what} queue unreachable; the relay will dispatch these`);
  }
}
