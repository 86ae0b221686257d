/** The billing tasks the scheduler runs (each safe to run twice and after downtime). */
import type { ScheduledTask } from "../../lib/scheduled-task";
import { lotExpiryTask } from "./lot-expiry";
import { lowCreditTask } from "./low-credit";
import { billingRelayTask } from "./relay";
import { renewalRemindersTask } from "./reminders";
import { adminRenewalsTask } from "./renewals";
import { stripeReconcileTask } from "./stripe-reconcile";

export function billingTasks(): ScheduledTask[] {
  return [
    adminRenewalsTask(), // every 5 min: admin-assigned plans whose period ended
    stripeReconcileTask(), // every 15 min: Stripe subscriptions whose renewal is overdue
    lotExpiryTask(), // every 60 s: expired lots (never below what holds need)
    lowCreditTask(), // every 30 s: low-credit alerts, once per crossing
    renewalRemindersTask(), // hourly: reminders 3 days before a period ends
    billingRelayTask(), // every 60 s: re-queue unprocessed Stripe events and unsent mail
  ];
}
