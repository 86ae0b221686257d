import type { ScheduledTask } from "../../lib/scheduled-task";
import { checkLowCredit } from "../low-credit";

/** Low-credit alerts for every account: one email per crossing below the threshold, re-armed by a top-up. */
export function lowCreditTask(everyMs = 30_000): ScheduledTask {
  return {
    name: "billing-low-credit",
    everyMs,
    run: (ctx, now) => checkLowCredit(ctx, { now }),
  };
}
