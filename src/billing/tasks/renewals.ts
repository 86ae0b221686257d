import type { ScheduledTask } from "../../lib/scheduled-task";
import { renewAdminPlans } from "../admin-plans";

/** Renew admin-assigned plans whose period ended: next period's credits, pending downgrades, cancellations. */
export function adminRenewalsTask(everyMs = 5 * 60_000): ScheduledTask {
  return {
    name: "billing-admin-renewals",
    everyMs,
    run: (ctx, now) => renewAdminPlans(ctx, now),
  };
}
