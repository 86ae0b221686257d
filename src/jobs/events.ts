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

export function publishJobEvent(redis: Redis, prefix: string, e: Omit<JobEvent, "at">): void {
  redis.publish(jobChannel(prefix, e.job_id), JSON.stringify({ ...e, at: new Date().toISOString() })).catch(() => {
    // Watchers fall back to the job row; a lost event is not a lost job.
  });
}
