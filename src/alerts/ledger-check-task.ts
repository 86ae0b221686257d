/**
 * `ledger:check` on a schedule: every LEDGER_CHECK_INTERVAL_MS (default 5
 * min) the scheduler checks every ledger invariant in one REPEATABLE READ
 * snapshot. The last result (ok, problem count, duration) is kept in Redis
 * for /metrics (`holdfast_ledger_check_*`); a failure raises a
 * `ledger_check_failed` alert naming the first problems.
 *
 * The task ticks every minute and runs the check only when the interval has
 * passed since the last recorded run, so the interval is configuration (the
 * task list is built before the config is known) and a restart does not
 * run it again early.
 */
import type { AppContext } from "../context";
import { checkLedger, type Problem } from "../ledger/check";
import type { ScheduledTask } from "../lib/scheduled-task";
import { raiseAlert } from "./raise";

export interface LedgerCheckResult {
  ok: boolean;
  problems: number;
  duration_ms: number;
  /** When it ran, ISO. */
  at: string;
}

/** Problems named in the alert (the full report is one `npm run ledger:check` away). */
const PROBLEMS_IN_ALERT = 20;

export function ledgerCheckKey(ctx: Pick<AppContext, "config">): string {
  return `${ctx.config.QUEUE_PREFIX}:ledger-check:last`;
}

export async function lastLedgerCheck(ctx: Pick<AppContext, "config" | "redis">): Promise<LedgerCheckResult | null> {
  const raw = await ctx.redis.get(ledgerCheckKey(ctx));
  return raw ? (JSON.parse(raw) as LedgerCheckResult) : null;
}

/** Run the check now, record the result, and raise an alert when it failed. */
export async function runLedgerCheck(ctx: AppContext, now: Date): Promise<LedgerCheckResult & { alerted: boolean }> {
  const started = performance.now();
  const report = await ctx.ds.transaction("REPEATABLE READ", (m) => checkLedger(m));
  const result: LedgerCheckResult = {
    ok: report.ok, problems: report.problems.length, duration_ms: Math.round(performance.now() - started), at: now.toISOString(),
  };
  await ctx.redis.set(ledgerCheckKey(ctx), JSON.stringify(result));
  let alerted = false;
  if (!report.ok) {
    const named: Problem[] = report.problems.slice(0, PROBLEMS_IN_ALERT);
    alerted = !!(await raiseAlert(ctx, {
      type: "ledger_check_failed", subject: "ledger", userId: null, now,
      summary: `ledger check failed: ${report.problems.length} problem(s), first: [${named[0]!.invariant}] ${named[0]!.subject}`,
      details: { problem_count: report.problems.length, problems: named, duration_ms: result.duration_ms, counts: report.counts },
    }));
  }
  return { ...result, alerted };
}

export function ledgerCheckTask(): ScheduledTask {
  return {
    name: "ledger-check",
    everyMs: 60_000,
    async run(ctx, now) {
      const last = await lastLedgerCheck(ctx);
      if (last && now.getTime() - Date.parse(last.at) < ctx.config.LEDGER_CHECK_INTERVAL_MS) return { skipped: 0 };
      const r = await runLedgerCheck(ctx, now);
      if (!r.ok) ctx.logger.error({ problems: r.problems }, "ledger check failed");
      return { problems: r.problems, duration_ms: r.duration_ms, alerted: r.alerted ? 1 : 0 };
    },
  };
}
