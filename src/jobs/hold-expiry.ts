import type { AppContext } from "../context";
import type { JobKind } from "./kind";

/** Deadline after which the reaper may void a hold whose job is not live: every attempt's timeout, the backoff between them, and HOLD_TTL_SECONDS of slack. */
export function holdExpiry(ctx: AppContext, kind: JobKind, input: unknown, attempts: number): Date {
  const runMs = kind.timeoutMs(input) * attempts + ctx.config.JOB_BACKOFF_MS * 2 ** attempts;
  return new Date(ctx.clock.now().getTime() + runMs + ctx.config.HOLD_TTL_SECONDS * 1000);
}
