/**
 * Job progress and status changes, published on Redis pub/sub for whoever
 * watches (the SSE route). Best effort: the job row stays the truth, and a
 * watcher re-reads it when it (re)connects.
 */
import type { Redis } from "ioredis";

export interface JobEvent {
  type: "progress" | "status";
  job_id: string;
  status?: string;
  progress?: number;
  at: string;
}

export function jobChannel(prefix: string, jobId: string): string {
  return `${prefix}:job-events:${jobId}`;
}

/** Channel the API uses to ask workers to abort a running job. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:job-cancel`;
}

/**
 * Events published in one turn of the event loop leave in one pipeline (one
 * write to Redis for many jobs' events, in order) rather than one command each.
 */
export function publishJobEvent(redis: Redis, prefix: string, e: Omit<JobEvent, "at">): void {
  let batch = outgoing.get(redis);
  if (!batch) {
    batch = [];
    outgoing.set(redis, batch);
    setImmediate(() => flushEvents(redis));
  }
  batch.push([jobChannel(prefix, e.job_id), JSON.stringify({ ...e, at: new Date().toISOString() })]);
}

const outgoing = new Map<Redis, [string, string][]>();

function flushEvents(redis: Redis): void {
  const batch = outgoing.get(redis) ?? [];
  outgoing.delete(redis);
  if (batch.length === 0) return;
  const p = redis.pipeline();
  for (const [channel, message] of batch) p.publish(channel, message);
  p.exec().catch(() => {
    // Watchers fall back to the job row; a lost event is not a lost job.
  });
}
