/**
 * Every periodic task the scheduler process runs. To add one, write it as a
 * ScheduledTask (src/lib/scheduled-task.ts: a stable name, a period, and a run that
 * is safe to repeat) and add ONE line to the list below.
 */
import { pruneJobOutputsTask } from "../files/prune-outputs";
import { holdReaperTask } from "../jobs/tasks/hold-reaper";
import { outboxRelayTask } from "../jobs/tasks/outbox-relay";
import { reconcileQueueTask } from "../jobs/tasks/reconcile-queue";
import { billingTasks } from "../billing/tasks";
import type { ScheduledTask } from "../lib/scheduled-task";
import { anomalyTask } from "../alerts/anomaly-task";
import { ledgerCheckTask } from "../alerts/ledger-check-task";
import { pruneTask } from "../maintenance/prune";

export function allTasks(): ScheduledTask[] {
  return [
    // Job pipeline safety nets.
    outboxRelayTask(), // every 5 s: committed jobs that never reached Redis
    reconcileQueueTask(), // every 60 s: live jobs Redis lost or finished without us
    holdReaperTask(), // every 60 s: expired holds whose job is not live
    pruneJobOutputsTask(), // every 60 s: outputs of jobs that failed, were cancelled or timed out
    // Billing (grant expiry, renewals, reminder mail …): one line per task here.
    ...billingTasks(), // renewals, Stripe reconciliation, lot expiry, low-credit, reminders, relay
    // Monitoring: each ticks every 60 s and runs at its configured interval.
    ledgerCheckTask(), // LEDGER_CHECK_INTERVAL_MS: every invariant; a failure raises an alert
    anomalyTask(), // ALERT_CHECK_INTERVAL_MS: spend spikes and estimate drift
    pruneTask(), // every hour: old idempotency keys, Stripe payloads, notifications, job payloads, partial uploads
  ];
}
