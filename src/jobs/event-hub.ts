/**
 * One Redis subscriber connection per process, fanned out to every watcher
 * of job events (the SSE streams), instead of one connection per stream.
 * The connection opens with the first watcher and closes with the last, so
 * an idle API holds none. Pub/sub is best effort: watchers also poll the job
 * row, which stays the truth.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../logger";
import { within } from "../lib/deadline";
import { createRedis } from "../queues";
import { type JobEvent, jobChannel } from "./events";

export type JobEventListener = (e: JobEvent) => void;

/** Longest wait for Redis to confirm a subscription, in ms, before relying on polling alone. */
const SUBSCRIBE_WAIT_MS = 1000;

export class JobEventHub {
  private sub: Redis | null = null;
  private readonly listeners = new Map<string, Set<JobEventListener>>();

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** Channels with at least one watcher (tests check that disconnects clean up). */
  get channels(): number {
    return this.listeners.size;
  }

  /** Watch a job's events; resolves once subscribed. Call the returned function to stop. */
  async watch(jobId: string, fn: JobEventListener): Promise<() => void> {
    const channel = jobChannel(this.prefix, jobId);
    let set = this.listeners.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(fn);
    if (first) {
      // Wait for the subscription (so no event slips between it and the watcher's first read),
      // but not forever: with Redis down the watcher still works by polling the row.
      const subscribed = this.connection()
        .subscribe(channel)
        .then(() => true)
        .catch((err: unknown) => {
          this.logger.warn({ err, jobId }, "job event subscription failed; watchers fall back to polling");
          return false;
        });
      await within(subscribed, SUBSCRIBE_WAIT_MS, false);
    }
    return () => this.unwatch(channel, fn);
  }

  private connection(): Redis {
    if (!this.sub) {
      const sub = createRedis(this.redisUrl);
      sub.on("message", (channel: string, message: string) => this.dispatch(channel, message));
      sub.on("error", (err: unknown) => this.logger.debug({ err }, "job event subscriber error"));
      this.sub = sub;
    }
    return this.sub;
  }

  private dispatch(channel: string, message: string): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    let e: JobEvent;
    try {
      e = JSON.parse(message) as JobEvent;
    } catch {
      return;
    }
    for (const fn of set) fn(e);
  }

  private unwatch(channel: string, fn: JobEventListener): void {
    const set = this.listeners.get(channel);
    if (!set?.delete(fn) || set.size > 0) return;
    this.listeners.delete(channel);
    if (this.listeners.size === 0) {
      this.sub?.disconnect();
      this.sub = null;
    } else {
      this.sub?.unsubscribe(channel).catch(() => undefined);
    }
  }
}
