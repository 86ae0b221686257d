/**
 * Response shapes, for the OpenAPI document only (responses are built by the
 * services, not parsed). Each schema is pinned to the service's TypeScript
 * type by a compile-time check at the bottom, so the docs break the build
 * instead of drifting when a service changes its reply.
 */
import { z } from "zod";
import type { Balances } from "../ledger/balances";
import type { HistoryTransaction as Transaction } from "../credits/history";
import type { BalanceView } from "../credits/account";
import type { AdminUserCreated, AdminUserDetail, UserView } from "../credits/admin-users";
import type { ForgiveResult } from "../credits/debts";
import type { AdminCreditsResult } from "../credits/admin-credits";
import type { MonthlySummary, Totals } from "../credits/summary";
import type { SystemSummary } from "../credits/system-summary";
import type { SystemSpend } from "../credits/system-spend";
import type { EstimateView } from "../jobs/quote";
import type { JobView } from "../jobs/view";
import type { Page } from "../lib/pagination";
import { transactionType } from "./schemas";

const int = z.number().int();
const nonNegative = int.min(0);
const isoTime = z.iso.datetime();
const dollars = z.string().regex(/^-?\d+\.\d{2}$/).meta({ description: "US dollars as a decimal string.", example: "1.20" });

/** `{ data, next_cursor }` around an item schema. */
export function page<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({ data: z.array(item), next_cursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last." }) })
    .meta({ id });
}

export const jobView = z
  .object({
    id: z.string().meta({ format: "uuid" }),
    kind: z.string(),
    status: z.enum(["queued", "running", "succeeded", "failed", "canceled"]),
    progress: int.min(0).max(100),
    input: z.unknown(),
    credits: z
      .object({
        estimated: nonNegative.meta({ description: "The hold placed at submission (the most this job can cost)." }),
        held: nonNegative.meta({ description: "Still reserved now; 0 once the job is final." }),
        charged: nonNegative,
        refunded: nonNegative.meta({ description: "Released back: unused remainder, cancellation or platform failure." }),
      })
      .meta({ description: "At the end, charged + refunded = estimated." }),
    result: z.unknown(),
    error: z.object({ type: z.enum(["user", "system"]), message: z.string() }).nullable(),
    attempts: nonNegative,
    batch_id: z.string().nullable(),
    created_at: isoTime,
    started_at: isoTime.nullable(),
    finished_at: isoTime.nullable(),
    dispute: z
      .object({
        id: z.string().meta({ format: "uuid" }),
        status: z.enum(["open", "under_review", "resolved"]),
        outcome: z.enum(["refunded", "rejected"]).nullable(),
        disputed_credits: nonNegative,
        refunded_credits: nonNegative,
      })
      .nullable()
      .optional()
      .meta({ description: "GET /jobs and /jobs/:id: the job's newest dispute, or null." }),
    pruned_at: isoTime.optional().meta({ description: "Present when input and result were dropped after JOB_RETENTION_DAYS (both are then null); credits and status are kept." }),
  })
  .meta({ id: "Job" });

export const estimateView = z
  .object({
    kind: z.string(),
    credits: int.min(1),
    credit_type: z.string(),
    breakdown: z.array(z.object({ item: z.string(), credits: z.number() })),
  })
  .meta({ id: "Estimate" });

const balanceFields = { credit_type: z.string(), available: nonNegative, held: nonNegative, posted: nonNegative };
export const balanceView = z
  .object({
    ...balanceFields,
    status: z.enum(["active", "paused"]),
    debt: nonNegative.meta({ description: "Credits owed after a Stripe refund or lost chargeback took back credits that were already spent. While > 0, new jobs, holds and consumes are refused with 402 `insufficient_credits` (`details.reason: \"debt\"`); a purchase repays it first, or an admin forgives it." }),
    frozen: nonNegative.meta({ description: "Purchased credits frozen by an open chargeback (not in `posted`; given back if the chargeback is won)." }),
    by_type: z.array(z.object(balanceFields)),
  })
  .meta({ id: "Balance", description: "available = posted − held." });

export const transactionView = z
  .object({
    id: z.string().meta({ format: "uuid" }),
    type: transactionType,
    amount: int.min(1).meta({ description: "Always positive; `type` says which way it moved." }),
    credit_type: z.string(),
    description: z.string().nullable(),
    job_id: z.string().nullable(),
    hold_id: z.string().nullable().meta({ description: "The hold (POST /holds) this transaction belongs to; null otherwise." }),
    created_at: isoTime,
  })
  .meta({ id: "Transaction", description: "`capture` is a charge of a hold of POST /holds, `consume` one of POST /credits/consume." });

export const rateView = z
  .object({ usd_per_credit: dollars, cents_per_credit: int.min(1) })
  .meta({ id: "CreditRate" });

const totals = {
  granted: nonNegative.meta({ description: "Credits added: grants, purchases, subscriptions and admin additions." }),
  spent: nonNegative.meta({ description: "Credits charged for jobs." }),
  refunded: nonNegative.meta({ description: "Holds given back because the platform failed, and credits given back by resolved disputes (`dispute_refund`)." }),
  released: nonNegative.meta({ description: "Unused parts of holds given back (jobs that used less, cancellations)." }),
  expired: nonNegative,
  removed: nonNegative.meta({ description: "Credits an admin removed." }),
  held: nonNegative.meta({ description: "Reserved right now by unfinished jobs." }),
};

export const monthlySummaryView = z
  .object({
    period: z.object({ month: z.string(), start: isoTime, end: isoTime }),
    ...totals,
    spent_usd: dollars,
    usd_per_credit: dollars,
    granted_by_type: z.object({ grant: nonNegative, purchase: nonNegative, subscription: nonNegative, adjustment: nonNegative }),
    spend_by_kind: z.array(z.object({ kind: z.string(), jobs: nonNegative, credits: nonNegative, usd: dollars })),
    by_credit_type: z.array(z.object({ credit_type: z.string(), ...totals })),
  })
  .meta({ id: "CreditSummary", description: "One calendar month (UTC) of the caller's credits; `held` is as of now." });

const systemTotals = {
  issued: nonNegative.meta({ description: "Every credit ever put into user accounts (grants, purchases, subscriptions, admin additions)." }),
  spent: nonNegative,
  refunded: nonNegative.meta({ description: "Holds released because the platform failed (never charged)." }),
  dispute_refunded: nonNegative.meta({ description: "Charged credits given back by resolved disputes." }),
  released: nonNegative,
  expired: nonNegative,
  removed: nonNegative,
  held: nonNegative,
  outstanding: nonNegative.meta({ description: "Posted balance of all users: issued − spent + dispute_refunded − expired − removed." }),
  available: nonNegative.meta({ description: "outstanding − held." }),
};

export const systemSummaryView = z
  .object({
    as_of: isoTime,
    ...systemTotals,
    issued_by_type: z.object({ grant: nonNegative, purchase: nonNegative, subscription: nonNegative, adjustment: nonNegative }),
    spent_usd: dollars,
    outstanding_usd: dollars,
    users: z.object({ total: nonNegative, active: nonNegative, paused: nonNegative }),
    by_credit_type: z.array(z.object({ credit_type: z.string(), ...systemTotals })),
  })
  .meta({ id: "SystemCreditSummary", description: "All-time totals over every user account, from one consistent snapshot." });

export const systemSpendView = z
  .object({
    as_of: isoTime,
    from: z.string().meta({ description: "First day (UTC), YYYY-MM-DD.", example: "2025-06-01" }),
    to: z.string().meta({ description: "Last day (UTC, today), YYYY-MM-DD.", example: "2025-06-30" }),
    days: nonNegative,
    total: nonNegative.meta({ description: "Credits spent over the whole window (the sum of `by_day[].spent`)." }),
    total_usd: dollars,
    by_day: z.array(
      z.object({
        date: z.string().meta({ example: "2025-06-30" }),
        spent: nonNegative,
        spent_usd: dollars,
        by_kind: z.array(z.object({ kind: z.string().meta({ description: "The job kind; `other` for charges without a job (captured holds, consume)." }), credits: nonNegative })),
      }),
    ),
  })
  .meta({ id: "SystemSpendByDay", description: "Credits spent per UTC day across all users (the `charge` transfers the system summary counts as spent), oldest day first, every day present." });

export const userView = z
  .object({
    id: z.string().meta({ format: "uuid" }),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(["user", "admin", "service"]),
    status: z.enum(["active", "paused"]),
    created_at: isoTime,
  })
  .meta({ id: "User" });

export const adminUserDetail = userView
  .extend({
    pause_reason: z.string().nullable().meta({ description: "Why the credit service is paused: `admin: <reason>` (or `admin`), or `chargeback:<Stripe dispute id>` while a chargeback on a purchase is open; null when active." }),
    debt: nonNegative.meta({ description: "Credits owed after refunds or lost chargebacks (see Balance.debt)." }),
    frozen: nonNegative.meta({ description: "Credits frozen by open chargebacks." }),
  })
  .meta({ id: "AdminUser" });

export const forgiveResult = z
  .object({
    user_id: z.string().meta({ format: "uuid" }),
    forgiven: int.min(1).meta({ description: "Credits of debt cleared." }),
    debt: nonNegative.meta({ description: "What the user owes now (0)." }),
  })
  .meta({ id: "ForgiveResult" });

export const adminUserCreated = userView
  .extend({ api_key: z.string().meta({ description: "Shown only in this response; store it now." }) })
  .meta({ id: "CreatedUser" });

export const adminCreditsResult = z
  .object({ transaction: transactionView, balance: balanceView })
  .meta({ id: "AdminCreditsResult" });

export const transactionsPage = page(transactionView, "TransactionPage");
export const jobsPage = page(jobView, "JobPage");
export const usersPage = page(userView, "UserPage");

// ------------------------------------------------ docs ⇔ services, checked by tsc

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile unless T is `true`. */
type Pinned<T extends true> = T;

type _DocsMatchServices = [
  Pinned<Same<z.infer<typeof jobView>, JobView>>,
  Pinned<Same<z.infer<typeof estimateView>, EstimateView>>,
  Pinned<Same<z.infer<typeof balanceView>, BalanceView>>,
  Pinned<Same<Omit<z.infer<typeof balanceView>, "status" | "debt" | "frozen">, Balances>>,
  Pinned<Same<z.infer<typeof transactionView>, Transaction>>,
  Pinned<Same<z.infer<typeof transactionsPage>, Page<Transaction>>>,
  Pinned<Same<z.infer<typeof monthlySummaryView>, MonthlySummary>>,
  Pinned<Same<z.infer<typeof monthlySummaryView>["by_credit_type"][number], Totals & { credit_type: string }>>,
  Pinned<Same<z.infer<typeof systemSummaryView>, SystemSummary>>,
  Pinned<Same<z.infer<typeof systemSpendView>, SystemSpend>>,
  Pinned<Same<z.infer<typeof userView>, UserView>>,
  Pinned<Same<z.infer<typeof adminUserCreated>, AdminUserCreated>>,
  Pinned<Same<z.infer<typeof adminUserDetail>, AdminUserDetail>>,
  Pinned<Same<z.infer<typeof forgiveResult>, ForgiveResult>>,
  Pinned<Same<z.infer<typeof adminCreditsResult>, Omit<AdminCreditsResult, "replayed">>>,
];
