/**
 * Queue names, payloads and connections. Redis only dispatches: every payload
 * is an id whose truth lives in PostgreSQL, so losing Redis delays work but
 * never loses money or jobs (the scheduler re-dispatches from the database).
 */
import { Queue, type QueueOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { deadline } from "./lib/deadline";
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
  /** The job's owner, for fair dispatch (src/jobs/fairness.ts); absent on jobs queued before it. */
  userId?: string;
  /**
   * When the job's hold may expire (ms since the epoch): how long the worker
   * may let the job wait out a PostgreSQL outage (src/workers/outage.ts);
   * absent on jobs queued before it.
   */
  holdExpiresAt?: number;
  /** Times the job waited for PostgreSQL at its claim so far (the next wait is longer). */
  outageWaits?: number;
}

/**
 * Redis connection for BullMQ workers and subscribers: their blocking
 * commands need maxRetriesPerRequest null, and they wait out an outage.
 */
export function createRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra });
}

/**
 * Redis connection for commands someone is waiting on: the queues the API
 * adds to and removes from, publishes, rate-limit counters, readiness pings.
 * It fails fast instead of queueing while Redis is away (BullMQ's advice for
 * a Queue, which, unlike a Worker, runs no blocking command): with no
 * offline queue a command rejects at once while the connection is down,
 * `commandTimeout` (ms) bounds one that Redis accepted but does not answer,
 * and a command in flight when the connection drops is retried at most once.
 * The caller decides what a failure means (a submission is committed in
 * PostgreSQL and the outbox relay dispatches it later). The connection itself
 * keeps reconnecting in the background.
 */
export function createCommandRedis(url: string, commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    enableReadyCheck: true,
    // Reconnect quickly at first, then every 2 s at most, forever.
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
    ...extra,
  });
}

/** Default bound of one Redis command of the API, in ms (REDIS_COMMAND_TIMEOUT_MS). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 500;

/**
 * A Queue whose writes answer within a bound even when its connection never
 * became ready (a process started while Redis was down: BullMQ waits for the
 * first "ready" before sending anything, and the offline-queue setting cannot
 * cut that wait short). A write that timed out may still land once Redis is
 * back; that is harmless because every job id is the database's id (adding
 * twice is a no-op) and removal is idempotent.
 */
export class FailFastQueue<D = any> extends Queue<D> { // eslint-disable-line @typescript-eslint/no-explicit-any -- BullMQ's own default
  constructor(name: string, opts: QueueOptions, private readonly boundMs: number) {
    super(name, opts);
  }

  override add(...args: Parameters<Queue<D>["add"]>): ReturnType<Queue<D>["add"]> {
    return bounded(super.add(...args), this.boundMs, `add to ${this.name}`);
  }

  override addBulk(...args: Parameters<Queue<D>["addBulk"]>): ReturnType<Queue<D>["addBulk"]> {
    return bounded(super.addBulk(...args), this.boundMs, `addBulk to ${this.name}`);
  }

  override remove(...args: Parameters<Queue<D>["remove"]>): ReturnType<Queue<D>["remove"]> {
    return bounded(super.remove(...args), this.boundMs, `remove from ${this.name}`);
  }
}

/** Reject with a clear error when `p` has not settled within `ms` (p itself is left to finish or fail). */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return deadline(p, ms, () => new Error(`Redis did not answer ${what} within ${ms} ms`));
}

export interface Queues {
  jobs: Queue<JobRunData>;
  mail: Queue;
  stripeEvents: Queue;
  maintenance: Queue;
  close(): Promise<void>;
}

/**
 * The queues on one shared connection (createCommandRedis). Writes answer
 * within `boundMs` (default: the command timeout plus 250 ms, so a command
 * Redis answers just in time still wins; the bound mostly cuts the wait for a
 * connection that was never ready).
 */
export function createQueues(connection: Redis, prefix: string, boundMs = DEFAULT_COMMAND_TIMEOUT_MS + 250): Queues {
  const opts: QueueOptions = { connection, prefix };
  const jobs = new FailFastQueue<JobRunData>(QUEUE.jobs, opts, boundMs);
  const mail = new FailFastQueue(QUEUE.mail, opts, boundMs);
  const stripeEvents = new FailFastQueue(QUEUE.stripeEvents, opts, boundMs);
  const maintenance = new FailFastQueue(QUEUE.maintenance, opts, boundMs);
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

export interface AddByIdItem<D> {
  id: string;
  data: D;
  attempts: number;
  /** BullMQ priority (1 = first; none = ahead of every prioritized job). */
  priority?: number;
}

/**
 * Hand committed rows to a queue by their database id (BullMQ job id = row
 * id, so adding twice is a no-op). Never throws: PostgreSQL already has the
 * rows, and the relay re-adds those that never reached Redis; a failure is
 * logged.
 */
export async function addById<D>(queue: Queue<D>, items: AddByIdItem<D>[], o: AddByIdOptions): Promise<void> {
  const entry = (x: AddByIdItem<D>) => ({
    name: o.name,
    data: x.data,
    opts: {
      jobId: x.id,
      attempts: x.attempts,
      ...(x.priority !== undefined ? { priority: x.priority } : {}),
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
