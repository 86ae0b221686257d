/**
 * Outbox relay: a job is committed (row + hold) before it is handed to
 * BullMQ, so a crash or a Redis outage in between leaves a paid-for job that
 * no worker will ever see. Its outbox mark is `enqueued_at IS NULL` (set by
 * the first claim). The relay adds such jobs again; the BullMQ job id is the
 * job id, so a job that did reach Redis is not added twice.
 */
import type { AppContext } from "../../context";
import type { ScheduledTask } from "../../lib/scheduled-task";
import { type Keyset, readCursor, saveCursor } from "../../lib/task-cursor";
import { dispatch } from "../dispatch";
import { unclaimedJobs } from "../store";
import { queueStates } from "./queue-state";

export interface RelayOptions {
  /** Only jobs older than this, in ms (default 10000): younger ones may still be on their way from the API. */
  afterMs?: number;
  /** Jobs read per page (default 500). */
  batch?: number;
  /**
   * Most jobs looked at per round (default 5000). Jobs that wait in BullMQ
   * deep in a backlog are unclaimed too; a round that stops at this bound
   * saves its position (task_cursors), so the next round goes past them
   * instead of reading the same head of the backlog again.
   */
  maxPerRound?: number;
}

const CURSOR = "outbox-relay";

export async function relayOutbox(ctx: AppContext, now: Date, opts: RelayOptions = {}): Promise<{ relayed: number; waiting: number }> {
  const cutoff = new Date(now.getTime() - (opts.afterMs ?? 10_000));
  const page = opts.batch ?? 500;
  const max = opts.maxPerRound ?? 5000;
  const resumedFrom = await readCursor(ctx, CURSOR);
  let after: Keyset | null = resumedFrom;
  let relayed = 0;
  let waiting = 0;
  let checked = 0;
  for (;;) {
    if (checked >= max) {
      await saveCursor(ctx, CURSOR, after);
      return { relayed, waiting };
    }
    const rows = await unclaimedJobs(ctx.ds, cutoff, after, page);
    if (rows.length === 0) break;
    checked += rows.length;
    const last = rows[rows.length - 1]!;
    after = { createdAt: last.created_ts, id: last.id };
    // A job deep in a backlog is unclaimed too but waits in BullMQ: leave it.
    // Adding it again would be a no-op anyway (same job id); asking first keeps
    // the count honest. Entries BullMQ has finished are the reconciliation's.
    const states = await queueStates(ctx, rows.map((r) => r.id));
    const lost = rows.filter((r) => states.get(r.id) === "missing");
    if (lost.length > 0) await dispatch(ctx, lost.map((r) => ({ id: r.id, userId: r.user_id, attempts: r.max_attempts, expiresAt: r.hold_expires_at })));
    relayed += lost.length;
    waiting += rows.filter((r) => states.get(r.id) === "live").length;
    if (rows.length < page) break;
  }
  // Reached the end: the next round starts at the head again.
  if (resumedFrom !== null) await saveCursor(ctx, CURSOR, null);
  return { relayed, waiting };
}

export function outboxRelayTask(opts: RelayOptions & { everyMs?: number } = {}): ScheduledTask {
  return { name: "outbox-relay", everyMs: opts.everyMs ?? 5_000, run: (ctx, now) => relayOutbox(ctx, now, opts) };
}
