/**
 * The scheduler's anomaly detectors. Each reads the database as of `now`
 * and raises an alert per anomaly found (raiseAlert dedupes per window, so
 * a detector may run as often as it likes). Both read only the time range
 * they judge, through the BRIN indexes on created_at (migration
 * KeysAlerts): nothing is added to the submit or settle paths.
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import { toInt } from "../ledger/types";
import { raiseAlert } from "./raise";

/** Transfer types that are a user's spending: job charges, and the holds API's captures and consumes. */
export const SPEND_TYPES = ["charge", "capture", "consume"];

const HOUR_MS = 3_600_000;

/**
 * Spend spike: a user's spend in the hour before `now` is at least
 * ALERT_SPEND_SPIKE_FLOOR credits and more than ALERT_SPEND_SPIKE_FACTOR ×
 * their average hourly spend over the ALERT_SPEND_BASELINE_HOURS before that
 * hour (a user with no history has a baseline of 0: the floor decides).
 */
export async function detectSpendSpikes(ctx: AppContext, now: Date): Promise<number> {
  const c = ctx.config;
  const rows = await sql<{ user_id: string; last_hour: string; trailing: string }>(ctx.ds,
    `SELECT user_id,
            coalesce(sum(amount) FILTER (WHERE created_at >= $1::timestamptz - interval '1 hour'), 0) AS last_hour,
            coalesce(sum(amount) FILTER (WHERE created_at <  $1::timestamptz - interval '1 hour'), 0) AS trailing
       FROM ledger_transfers
      WHERE type = ANY ($2) AND user_id IS NOT NULL
        AND created_at >= $1::timestamptz - make_interval(hours => $3 + 1) AND created_at < $1::timestamptz
      GROUP BY user_id
     HAVING coalesce(sum(amount) FILTER (WHERE created_at >= $1::timestamptz - interval '1 hour'), 0) >= $4`,
    [now, SPEND_TYPES, c.ALERT_SPEND_BASELINE_HOURS, c.ALERT_SPEND_SPIKE_FLOOR],
  );
  let raised = 0;
  for (const r of rows) {
    const lastHour = toInt(r.last_hour);
    const baseline = toInt(r.trailing) / c.ALERT_SPEND_BASELINE_HOURS;
    if (!(lastHour > c.ALERT_SPEND_SPIKE_FACTOR * baseline)) continue;
    const alert = await raiseAlert(ctx, {
      type: "spend_spike", subject: r.user_id, userId: r.user_id, now,
      summary: `user ${r.user_id} spent ${lastHour} credits in the last hour (hourly baseline ${baseline.toFixed(1)})`,
      details: {
        spent_last_hour: lastHour, hourly_baseline: Math.round(baseline * 100) / 100, factor: c.ALERT_SPEND_SPIKE_FACTOR,
        floor: c.ALERT_SPEND_SPIKE_FLOOR, baseline_hours: c.ALERT_SPEND_BASELINE_HOURS,
      },
    });
    if (alert) raised++;
  }
  return raised;
}

/**
 * Estimate-vs-charge drift: per job kind, charged ÷ estimated over the
 * succeeded jobs that finished in the last ALERT_DRIFT_WINDOW_MINUTES,
 * against the same ratio over the ALERT_DRIFT_BASELINE_HOURS before; a
 * relative change of ALERT_DRIFT_THRESHOLD or more (either way) is drift —
 * the estimator or the kind's metering changed. Judged only with
 * ALERT_DRIFT_MIN_JOBS jobs on each side, so a handful of odd jobs is not drift.
 */
export async function detectEstimateDrift(ctx: AppContext, now: Date): Promise<number> {
  const c = ctx.config;
  const windowStart = new Date(now.getTime() - c.ALERT_DRIFT_WINDOW_MINUTES * 60_000);
  const baselineStart = new Date(windowStart.getTime() - c.ALERT_DRIFT_BASELINE_HOURS * HOUR_MS);
  // created_at bounds only narrow the scan (BRIN); a job finishes within a day of its creation (HOLD_TTL_SECONDS).
  const createdFrom = new Date(baselineStart.getTime() - 24 * HOUR_MS);
  const rows = await sql<{ kind: string; w_jobs: number; w_est: string; w_chg: string; b_jobs: number; b_est: string; b_chg: string }>(ctx.ds,
    `SELECT kind,
            count(*) FILTER (WHERE finished_at >= $2)::int AS w_jobs,
            coalesce(sum(credits_estimated) FILTER (WHERE finished_at >= $2), 0) AS w_est,
            coalesce(sum(credits_charged) FILTER (WHERE finished_at >= $2), 0) AS w_chg,
            count(*) FILTER (WHERE finished_at < $2)::int AS b_jobs,
            coalesce(sum(credits_estimated) FILTER (WHERE finished_at < $2), 0) AS b_est,
            coalesce(sum(credits_charged) FILTER (WHERE finished_at < $2), 0) AS b_chg
       FROM jobs
      WHERE status = 'succeeded' AND created_at >= $4 AND finished_at >= $3 AND finished_at < $1
      GROUP BY kind`,
    [now, windowStart, baselineStart, createdFrom],
  );
  let raised = 0;
  for (const r of rows) {
    if (r.w_jobs < c.ALERT_DRIFT_MIN_JOBS || r.b_jobs < c.ALERT_DRIFT_MIN_JOBS) continue;
    const ratio = toInt(r.w_chg) / toInt(r.w_est);
    const baseline = toInt(r.b_chg) / toInt(r.b_est);
    if (baseline === 0 && ratio === 0) continue;
    const change = baseline === 0 ? Infinity : Math.abs(ratio - baseline) / baseline;
    if (change < c.ALERT_DRIFT_THRESHOLD) continue;
    const round = (x: number) => Math.round(x * 1000) / 1000;
    const alert = await raiseAlert(ctx, {
      type: "estimate_drift", subject: r.kind, userId: null, now,
      summary: `kind ${r.kind}: charged/estimated ${round(ratio)} over the last ${c.ALERT_DRIFT_WINDOW_MINUTES} min against a baseline of ${round(baseline)}`,
      details: {
        kind: r.kind, ratio: round(ratio), baseline_ratio: round(baseline), relative_change: Number.isFinite(change) ? round(change) : null,
        threshold: c.ALERT_DRIFT_THRESHOLD, window_jobs: r.w_jobs, baseline_jobs: r.b_jobs,
        window_minutes: c.ALERT_DRIFT_WINDOW_MINUTES, baseline_hours: c.ALERT_DRIFT_BASELINE_HOURS,
      },
    });
    if (alert) raised++;
  }
  return raised;
}
