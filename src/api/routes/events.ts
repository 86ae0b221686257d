/**
 * GET /api/v1/jobs/:id/events — server-sent events of a job until it is final.
 *
 *   event: job       the full job (API.md shape): first, and last when final
 *   event: progress  { job_id, progress }   (0–100)
 *   event: status    { job_id, status }
 *   : keep-alive     a comment every 15 s so proxies keep the stream open
 *
 * Order of operations avoids losing an update: check ownership (404 before
 * any stream), subscribe, then read the row and send it. Events come from
 * Redis pub/sub (best effort), and the row is re-read every few seconds as a
 * backstop, so a lost event only delays the stream, never ends it wrong.
 */
import { type Response, Router } from "express";
import type { AppContext } from "../../context";
import type { User } from "../../entities/user";
import { JobEventHub } from "../../jobs/event-hub";
import type { JobEvent } from "../../jobs/events";
import { getJobView, isFinal } from "../../jobs/service";
import type { JobView } from "../../jobs/view";
import { AppError } from "../../errors";
import { currentKeyHash, currentUser } from "../auth";

export interface EventStreamOptions {
  /** Comment line interval in ms (default 15000). */
  heartbeatMs?: number;
  /** Backstop re-read of the job row in ms (default 2000). */
  pollMs?: number;
}

/** Retry-After of a stream refused for too many open ones, in seconds. */
const STREAM_RETRY_AFTER_SECONDS = 5;

export function eventsRouter(ctx: AppContext, opts: EventStreamOptions = {}): Router {
  const hub = new JobEventHub(ctx.config.REDIS_URL, ctx.config.QUEUE_PREFIX, ctx.logger);
  const r = Router();
  // Open streams per API key in this process: each holds a connection and a subscription for as long
  // as the client likes, so one key may not hold more than SSE_MAX_STREAMS_PER_KEY of them.
  const open = new Map<string, number>();
  const cap = ctx.config.SSE_MAX_STREAMS_PER_KEY;
  r.get("/jobs/:id/events", async (req, res) => {
    const key = currentKeyHash(req);
    const n = open.get(key) ?? 0;
    if (cap > 0 && n >= cap) {
      res.set("Retry-After", String(STREAM_RETRY_AFTER_SECONDS));
      throw new AppError("rate_limited", `This API key already has ${n} event streams open; the limit is ${cap}. Close one, or retry in ${STREAM_RETRY_AFTER_SECONDS} s.`, {
        limit: cap, open_streams: n, retry_after_seconds: STREAM_RETRY_AFTER_SECONDS,
      });
    }
    open.set(key, n + 1);
    res.once("close", () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
    await streamJob(ctx, hub, currentUser(req), req.params.id, res, opts);
  });
  return r;
}

async function streamJob(ctx: AppContext, hub: JobEventHub, user: User, jobId: string, res: Response, opts: EventStreamOptions): Promise<void> {
  await getJobView(ctx, user, jobId); // 404 for a missing or foreign job, as plain JSON
  let last: { status: string; progress: number } | null = null;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  const timers: NodeJS.Timeout[] = [];
  let stop: () => void = () => undefined;

  const send = (event: string, data: unknown) => {
    if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const end = () => {
    if (closed) return;
    closed = true;
    timers.forEach(clearInterval);
    stop();
    res.end();
  };
  /** Send what changed since the last message; the full job and the end once it is final. */
  const show = (v: JobView) => {
    const first = last === null;
    if (last !== null) {
      if (v.status !== last.status) send("status", { job_id: v.id, status: v.status });
      if (v.progress !== last.progress) send("progress", { job_id: v.id, progress: v.progress });
    }
    last = { status: v.status, progress: v.progress };
    if (first || isFinal(v.status)) send("job", v);
    if (isFinal(v.status)) end();
  };
  // One at a time, so messages go out in the order the reads happened.
  const refresh = () => {
    chain = chain
      .then(async () => {
        if (!closed) show(await getJobView(ctx, user, jobId));
      })
      .catch((err: unknown) => {
        ctx.logger.warn({ err, jobId }, "job event stream read failed");
        end();
      });
  };
  const onEvent = (e: JobEvent) => {
    if (e.type === "status") return refresh();
    if (e.type !== "progress" || typeof e.progress !== "number") return;
    const p = e.progress;
    chain = chain.then(() => {
      if (closed || last === null || p === last.progress || isFinal(last.status as JobView["status"])) return;
      last = { ...last, progress: p };
      send("progress", { job_id: jobId, progress: p });
    });
  };

  res.on("close", end);
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
  });
  res.flushHeaders();
  res.write("retry: 3000\n\n");
  stop = await hub.watch(jobId, onEvent);
  if (closed) return stop();
  refresh();
  timers.push(setInterval(() => !closed && res.write(": keep-alive\n\n"), opts.heartbeatMs ?? 15_000));
  timers.push(setInterval(refresh, opts.pollMs ?? 2_000));
}
