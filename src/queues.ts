/**
 * Queue names, payloads and connections. Redis only dispatches: every payload
 * is an id whose truth lives in PostgreSQL, so losing Redis delays work but
 * never loses money or jobs (the scheduler re-dispatches from the database).
 */
import { Queue, type QueueOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";

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
