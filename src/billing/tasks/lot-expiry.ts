import * as ledger from "../../ledger";
import type { ScheduledTask } from "../../lib/scheduled-task";

/**
 * Expire unspent credits of lots past their expiry (monthly plan credits at
 * their period's end), never below what pending holds need; the ledger's
 * expireLots decides per lot, idempotently.
 */
export function lotExpiryTask(everyMs = 60_000): ScheduledTask {
  return {
    name: "billing-lot-expiry",
    everyMs,
    async run(ctx, now) {
      const r = await ledger.expireLots(ctx.ds.manager, now);
      return { lots: r.lots, expired: r.expired, kept_for_holds: r.kept };
    },
  };
}
