/**
 * Outbox relay: a job is committed (row + hold) before it is handed to
 * BullMQ, so a crash or a Redis outage in between leaves a paid-for job that
 * no worker will ever see. Its outbox mark is `enqueued_at IS NULL` (set by
 * the first claim). The relay adds such jobs again; the BullMQ job id is the
 * job id, so a job that did reach Redis is not added twice.
 */
import type { AppContext } from "../../context";
import type { ScheduledTask } from "../../lib/scheduled-task";
import { dispatch } from "../dispatch";
import { queueStates } from "./queue-state";

export interface RelayOptions {
  /** Only jobs older than this, in ms (default 10000): younger ones may still be on their way from the API. */
  afterMs?: number;
  /** Jobs per round (default 500); the rest go next round, oldest first. */
  batch?: number;
}

export async function relayOutbox(ctx: AppContext, now: Date, opts: RelayOptions = {}): Promise<{ relayed: number; waiting: number }> {
  const cutoff = new Date(now.getTime() - (opts.afterMs ?? 10_000));
  const rows: { id: string; max_attempts: number }[] = await ctx.ds.query(
    `SELECT id, max_attempts FROM jobs
      WHERE status = 'queued' AND enqueued_at IS NULL AND created_at < $1
      ORDER BY created_at LIMIT $2`,
    [cutoff, opts.batch ?? 500],
  );
  if (rows.length === 0) return { relayed: 0, waiting: 0 };
  // A job deep in a backlog is unclaimed too but waits in BullMQ: leave it.
  // Adding it again would be a no-op anyway (same job id); asking first keeps
  // the count honest. Entries BullMQ has finished are the reconciliation's.
  const states = await queueStates(ctx, rows.map((r) => r.id));
  const lost = rows.filter((r) => states.get(r.id) === "missing");
  if (lost.length > 0) await dispatch(ctx, lost.map((r) => ({ id: r.id, attempts: r.max_attempts })));
  return { relayed: lost.length, waiting: rows.filter((r) => states.get(r.id) === "live").length };
}

export function outboxRelayTask(opts: RelayOptions & { everyMs?: number } = {}): ScheduledTask {
  return { name: "outbox-relay", everyMs: opts.everyMs ?? 5_000, run: (ctx, now) => relayOutbox(ctx, now, opts) };
}
