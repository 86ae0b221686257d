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
 * Publishes job events. Events published in one turn of the event loop leave
 * in one pipeline (one write to Redis for many jobs' events, in order) rather
 * than one command each. One per context (see AppContext.jobEvents).
 */
export class JobEventPublisher {
  private outgoing: [string, string][] = [];

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  publish(e: Omit<JobEvent, "at">): void {
    if (this.outgoing.length === 0) setImmediate(() => this.flush());
    this.outgoing.push([jobChannel(this.prefix, e.job_id), JSON.stringify({ ...e, at: new Date().toISOString() })]);
  }

  private flush(): void {
    const batch = this.outgoing;
    this.outgoing = [];
    if (batch.length === 0) return;
    const p = this.redis.pipeline();
    for (const [channel, message] of batch) p.publish(channel, message);
    p.exec().catch(() => {
      // Watchers fall back to the job row; a lost event is not a lost job.
    });
  }
}
